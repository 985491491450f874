"""``hyperplane``, as the local platform provides it to its jobs: ``notebook_common``.

Only on a local job's ``PYTHONPATH`` (see the ``job_sdk`` package); not the hosted SDK.
"""
