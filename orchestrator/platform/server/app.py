"""The local platform's HTTP face: POST JSON ``{query, variables, operationName}`` to /graphql.

Order of checks for each request: chaos (when enabled), bearer token (401), body size (413),
JSON shape (400), then the cached parse/limits/validation (GraphQL errors, nothing executed),
then execution. A mutation document runs in one store transaction: its aliased creates commit
together, and when an error nulls the whole ``data`` nothing of the request is kept, so the
answer always tells what was committed. Every error carries ``extensions.code``
(:mod:`orchestrator.platform.server.error_codes`); an unexpected failure is answered with HTTP 500
and generic words, after rolling a mutation back whole.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.executor import Executor, make_executor
from orchestrator.platform.server.chaos import Chaos, ChaosSpec
from orchestrator.platform.server.documents import DocumentCache, DocumentLimits
from orchestrator.platform.server.error_codes import (
    ErrorCode,
    execution_code,
    internal_error,
    with_code,
)
from orchestrator.platform.server.resolvers import RequestContext, load_schema
from orchestrator.platform.store.sessions import SessionStore
from orchestrator.platform.store.store import Store

log = structlog.get_logger(__name__)

GRAPHQL_PATH = "/graphql"
STATUS_PATH = "/status"  # GET, authenticated: what `orchestrator platform status` shows
CHAOS_KEY = web.AppKey("chaos", Chaos)


class _DiscardRequest(Exception):
    """Raised inside a mutation's transaction to roll the whole request back."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One request's JSON body and HTTP status."""

    body: Mapping[str, object]
    status: int = 200


def _json_error(status: int, code: ErrorCode, message: str, **headers: str) -> web.Response:
    body = {"errors": [{"message": message, "extensions": {"code": code.value}}]}
    return web.json_response(body, status=status, headers=headers)


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
        self.started = time.monotonic()
        self._expected = f"Bearer {token}".encode()

    def authorized(self, request: web.Request) -> bool:
        """Constant-time comparison of the Authorization header with the token."""
        given = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(given, self._expected)

    async def handle(self, request: web.Request) -> web.Response:
        """The /graphql POST handler."""
        if not self.authorized(request):
            return _json_error(
                401,
                ErrorCode.UNAUTHENTICATED,
                "missing or invalid bearer token",
                **{"WWW-Authenticate": "Bearer"},
            )
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json_error(
                413,
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"request body over {request.client_max_size} bytes",
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return _json_error(
                400, ErrorCode.BAD_REQUEST, f"request body is not valid JSON: {error}"
            )
        problem = _payload_problem(payload)
        if problem:
            return _json_error(400, ErrorCode.BAD_REQUEST, problem)
        answer = self.run(payload["query"], payload.get("variables"), payload.get("operationName"))
        return web.json_response(answer.body, status=answer.status)

    async def status(self, request: web.Request) -> web.Response:
        """The /status GET handler: pid, uptime, jobs by status, executor, schedules."""
        if not self.authorized(request):
            return _json_error(401, ErrorCode.UNAUTHENTICATED, "missing or invalid bearer token")
        counts = self.store.count_by_status()
        body = {
            "pid": os.getpid(),
            "uptime": round(time.monotonic() - self.started, 3),
            "jobs": {str(status): count for status, count in sorted(counts.items())},
            "executor": self.executor.status(),
            "schedules": self.executor.schedules(),
        }
        return web.json_response(body)

    def run(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> Answer:
        """Check (cached) and execute one document.

        A mutation runs in one transaction. It is rolled back whole when an error nulls
        ``data`` (a failed create) or when anything unexpected fails (an internal error:
        HTTP 500, ``data`` null, the error says ``rolledBack``); then nothing of it is kept.
        """
        checked = self.documents.get(query)
        if checked.document is None:
            return Answer(ExecutionResult(None, list(checked.errors)).formatted)
        operation = get_operation_ast(checked.document, operation_name)
        context = RequestContext(self.store, self.sessions)
        mutation = operation is not None and operation.operation is OperationType.MUTATION
        try:
            if not mutation:
                return _answer(self._execute(checked.document, variables, operation_name, context))
            result: ExecutionResult | None = None
            try:
                with self.store.transaction():
                    result = self._execute(checked.document, variables, operation_name, context)
                    if result.errors and (result.data is None or _has_internal(result.errors)):
                        raise _DiscardRequest
            except _DiscardRequest:
                context.jobs_changed = False
            assert result is not None
        except Exception as error:  # BEGIN/COMMIT failed ("database is locked"), or a bug
            log.warning("request failed", error=repr(error), mutation=mutation)
            body = ExecutionResult(None, [internal_error(None, rolled_back=mutation)]).formatted
            return Answer(body, 500)
        if context.jobs_changed:
            self.executor.notify()
        return _answer(result, mutation=True)

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
        return result


def _has_internal(errors: Sequence[GraphQLError]) -> bool:
    return any(execution_code(error) is ErrorCode.INTERNAL_SERVER_ERROR for error in errors)


def _answer(result: ExecutionResult, *, mutation: bool = False) -> Answer:
    """The body and status for an execution result, every error coded.

    Internal errors are logged here with their details and answered with generic words;
    with one, the status is 500, and a mutation's ``data`` is null (it was rolled back).
    """
    errors: list[GraphQLError] = []
    internal = False
    for error in result.errors or ():
        code = execution_code(error)
        if code is ErrorCode.INTERNAL_SERVER_ERROR:
            internal = True
            log.warning(
                "unexpected resolver error", error=repr(error.original_error), path=error.path
            )
            errors.append(internal_error(error, rolled_back=mutation))
        else:
            errors.append(with_code(error, code))
    data = None if internal and mutation else result.data
    return Answer(ExecutionResult(data, errors or None).formatted, 500 if internal else 200)


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
    app.router.add_get(STATUS_PATH, endpoint.status)
    return app


async def serve(config: PlatformConfig, on_ready: Callable[[str], None]) -> None:
    """Run the platform until SIGTERM/SIGINT: store, HTTP app and executor in one task group.

    Restart recovery (orphaned "in progress" jobs fail, leftover processes die) completes
    before the socket opens; ``on_ready`` gets the GraphQL URL once it accepts requests.
    """
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(config.db_path)
    try:
        executor = make_executor(config, store)
        executor.recover()  # before the socket opens: no client sees an orphan "in progress"
        app = create_app(config, store, executor)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, config.host, config.port)
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
    finally:
        store.close()
