# The dead-code gate's allow-list (`make lint` runs vulture over orchestrator/ and this file):
# names vulture cannot see used because a framework calls them, each with who calls it.
# A name added here must be called by something outside our code; an unused function of
# ours is removed, not listed. (Syntax only: vulture reads this file, nothing imports it.)

# click calls these on the group (commands and groups themselves are skipped through
# ignore_decorators in pyproject.toml's [tool.vulture])
_.get_command  # LazyGroup: click resolves a command name
_.format_commands  # LazyGroup: click writes --help's command listing

# graphql-core calls these on visitors, validation rules and scalars
_.enter_variable  # api.documents: a visitor's hook per variable node
_.enter  # platform.server.budget: a validation rule's hook per node
_.parse_value  # platform.server.resolvers: a custom scalar's input from variables
_.parse_literal  # platform.server.resolvers: a custom scalar's input from the document

# sqlite3 and rich read these attributes we set
_.row_factory  # sqlite3: how rows come back
_.box  # rich: a table's borders (none when piped)

# asyncio and aiohttp call or read these on what the server's connection cap wraps
_.connection_made  # platform.server.connection_limits: asyncio's Protocol hook
_._server  # platform.server.connection_limits: aiohttp's BaseSite.stop closes it

# named in the bootstrap code a spawned platform runs (platform.process.spawn)
exit_with_parent  # platform.process.embedded

# job code calls these: the hosted platform's Python helpers, put on a job's path
submit_pipeline_job  # platform.executor.job_sdk.hyperplane.notebook_common
checkjobs  # platform.executor.job_sdk.hyperplane.notebook_common
cancel_pipeline_job  # platform.executor.job_sdk.hyperplane.notebook_common

# what users' own tests read of orchestrator.testing's in-memory platform
_.create_calls  # testing.MemoryPlatform: create requests made
_.attempts_of  # testing.MemoryPlatform: attempt numbers created of one job

# Dask calls a worker plugin's teardown when the worker closes
_.teardown  # platform.executor.dask_plugin

# __exit__'s traceback parameter (the protocol names it)
tb  # ledger.rows

# Record fields: columns of the ledger's rows, part of the records' data
_.updated_at  # ledger.records
_.intent_at  # ledger.records

# Counters and properties read by tests to observe the platform (observability, not logic)
_.fast_answers  # platform.server.app
_.fast_fallbacks  # platform.server.app
_.hits  # platform.server.documents (the document cache)
_.in_flight  # platform.executor.simulate
_.mean_lag  # platform.executor.simulate
_.succeeded  # platform.executor.task_runner
