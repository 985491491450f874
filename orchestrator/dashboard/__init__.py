"""The web dashboard the local platform serves at ``/``: overview, runs, jobs, one job.

Server-rendered HTML (Jinja2, autoescaped) with one small plain script that polls the
``/ui/api/...`` JSON views every 2 s. It reads the store directly, behind its own session
sign-in (:mod:`.sessions`); see docs/dashboard.md.
"""
