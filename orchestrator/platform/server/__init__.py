"""The local platform's GraphQL face: HTTP app, schema, document checks, resolvers, error codes.

``app`` serves ``/graphql`` (auth, body limits, chaos, execution); ``documents`` parses, limits
and validates each document once; ``resolvers`` binds the root fields of ``schema.graphql`` onto
the store; ``values`` translates between store records and API values. Before any of it,
``request_guard`` refuses what a web page could send (foreign Origin or Host, non-JSON posts)
and ``connection_limits`` times out slow headers and bodies and caps connections.

May import: ``platform.store``, ``platform.executor``, :mod:`orchestrator.platform.config` and
the ground (:mod:`orchestrator.model`, ...); never the client side (``api``, ``engine``, ...)
or ``cli`` (``tests/test_layers.py``).
"""
