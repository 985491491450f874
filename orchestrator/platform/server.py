"""The local platform's HTTP face: POST JSON ``{query, variables, operationName}`` to /graphql.

Order of checks for each request: chaos (when enabled), bearer token (401), body size (413),
JSON shape (400), then the cached parse/limits/validation (GraphQL errors, nothing executed),
then execution. A mutation document runs in one store transaction: its aliased creates commit
together, and when an error nulls the whole ``data`` nothing of the request is kept, so the
answer always tells what was committed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import signal
from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    execute,
    get_operation_ast,
)

from orchestrator.platform.chaos import Chaos, ChaosSpec
from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.documents import DocumentCache, DocumentLimits
from orchestrator.platform.executor import Executor, make_executor
from orchestrator.platform.model import FinalStatusError, NotFoundError
from orchestrator.platform.resolvers import RequestContext, load_schema
from orchestrator.platform.session_store import SessionStore
from orchestrator.platform.store import Store
from orchestrator.platform.where import FilterError

log = structlog.get_logger(__name__)

GRAPHQL_PATH = "/graphql"
CHAOS_KEY = web.AppKey("chaos", Chaos)


EXPECTED_ERRORS = (GraphQLError, NotFoundError, FinalStatusError, FilterError)
"""Errors that answer bad input; anything else in a result is a bug worth a log line."""


class _DiscardRequest(Exception):
    """Raised inside a mutation's transaction to roll the whole request back."""


def _json_error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"errors": [{"message": message}]}, status=status, headers=headers)


class GraphQLEndpoint:
    """Answers GraphQL requests against one store; owns the document cache."""

    def __init__(
        self,
        schema: GraphQLSchema,
        store: Store,
        executor: Executor,
        token: str,
        limits: DocumentLimits,
    ) -> None:
        self.schema = schema
        self.store = store
        self.sessions = SessionStore(store)
        self.executor = executor
        self.documents = DocumentCache(schema, limits)
        self._expected = f"Bearer {token}".encode()

    def authorized(self, request: web.Request) -> bool:
        """Constant-time comparison of the Authorization header with the token."""
        given = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(given, self._expected)

    async def handle(self, request: web.Request) -> web.Response:
        """The /graphql POST handler."""
        if not self.authorized(request):
            return _json_error(
                401, "missing or invalid bearer token", **{"WWW-Authenticate": "Bearer"}
            )
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json_error(413, f"request body over {request.client_max_size} bytes")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return _json_error(400, f"request body is not valid JSON: {error}")
        problem = _payload_problem(payload)
        if problem:
            return _json_error(400, problem)
        result = self.run(payload["query"], payload.get("variables"), payload.get("operationName"))
        return web.json_response(result.formatted)

    def run(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> ExecutionResult:
        """Check (cached) and execute one document."""
        checked = self.documents.get(query)
        if checked.document is None:
            return ExecutionResult(None, list(checked.errors))
        operation = get_operation_ast(checked.document, operation_name)
        context = RequestContext(self.store, self.sessions)
        if operation is None or operation.operation is not OperationType.MUTATION:
            return self._execute(checked.document, variables, operation_name, context)
        result: ExecutionResult | None = None
        try:
            with self.store.transaction():
                result = self._execute(checked.document, variables, operation_name, context)
                if result.data is None and result.errors:
                    raise _DiscardRequest
        except _DiscardRequest:
            context.jobs_changed = False
        assert result is not None
        if context.jobs_changed:
            self.executor.notify()
        return result

    def _execute(
        self,
        document: Any,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: RequestContext,
    ) -> ExecutionResult:
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        if not isinstance(result, ExecutionResult):  # resolvers are synchronous
            raise TypeError("unexpected asynchronous execution result")
        for error in result.errors or ():
            if error.original_error is not None and not isinstance(
                error.original_error, EXPECTED_ERRORS
            ):
                log.warning("unexpected resolver error", error=repr(error.original_error))
        return result


ENDPOINT_KEY: web.AppKey[GraphQLEndpoint] = web.AppKey("endpoint")


def _payload_problem(payload: Any) -> str | None:
    """Why a decoded body is not a GraphQL request, or ``None``."""
    if not isinstance(payload, dict):
        return "request body must be a JSON object {query, variables, operationName}"
    if not isinstance(payload.get("query"), str):
        return "request needs a 'query' string"
    if not isinstance(payload.get("variables") or {}, dict):
        return "'variables' must be a JSON object"
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        return "'operationName' must be a string"
    return None


def create_app(config: PlatformConfig, store: Store, executor: Executor) -> web.Application:
    """The aiohttp application serving /graphql (with chaos, when configured)."""
    middlewares: list[Middleware] = []
    chaos: Chaos | None = None
    if config.chaos:
        chaos = Chaos(ChaosSpec.parse(config.chaos), config.seed)
        middlewares.append(chaos.middleware())
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=middlewares)
    limits = DocumentLimits(max_root_fields=config.max_root_fields, max_depth=config.max_depth)
    endpoint = GraphQLEndpoint(load_schema(), store, executor, config.token, limits)
    app[ENDPOINT_KEY] = endpoint
    if chaos is not None:
        app[CHAOS_KEY] = chaos
    app.router.add_post(GRAPHQL_PATH, endpoint.handle)
    return app


async def serve(config: PlatformConfig, on_ready: Callable[[str], None]) -> None:
    """Run the platform until SIGTERM/SIGINT: store, HTTP app and executor in one task group.

    ``on_ready`` gets the GraphQL URL once the socket accepts requests.
    """
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(config.db_path)
    executor = make_executor(config, store)
    runner = web.AppRunner(create_app(config, store, executor), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port, shutdown_timeout=2.0)
        await site.start()
        port = runner.addresses[0][1]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with asyncio.TaskGroup() as group:
            executor_task = group.create_task(executor.run())
            log.info("platform ready", host=config.host, port=port, db=str(config.db_path))
            on_ready(f"http://{config.host}:{port}{GRAPHQL_PATH}")
            await stop.wait()
            executor_task.cancel()
    finally:
        await runner.cleanup()
        store.close()
