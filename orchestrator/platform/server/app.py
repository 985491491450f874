"""The local platform's HTTP face: POST JSON ``{query, variables, operationName}`` to /graphql
(and GET /logs/{job_id} for job logs: :mod:`orchestrator.platform.server.log_route`; the web
dashboard at ``/`` and ``/ui/...``, behind its own session sign-in:
:mod:`orchestrator.dashboard`).

Order of checks for each request: the request guard (a foreign ``Host`` 421, a foreign
``Origin`` 403, a POST that is not JSON 415:
:mod:`orchestrator.platform.server.request_guard`), chaos (when enabled), bearer token (401),
body size (413) and read time (408: :mod:`orchestrator.platform.server.connection_limits`),
JSON shape (400), then the cached parse/limits/validation (GraphQL errors, nothing executed),
then execution. A mutation document runs in one store transaction: its aliased creates commit
together, and when an error nulls the whole ``data`` nothing of the request is kept, so the
answer always tells what was committed. Every error carries ``extensions.code``
(:mod:`orchestrator.platform.server.error_codes`); an unexpected failure is answered with HTTP 500
and generic words, after rolling a mutation back whole.

No one request may hold up the others: checking an uncached document and executing a query
happen in worker threads, and every request has a time budget
(:mod:`orchestrator.platform.server.budget`) after which it is stopped with ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

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

from orchestrator.dashboard.mount import for_platform
from orchestrator.platform.config import DEFAULT_READ_TIMEOUT, PlatformConfig
from orchestrator.platform.executor import Executor, make_executor
from orchestrator.platform.server import http_log
from orchestrator.platform.server.budget import Budget, BudgetExceeded
from orchestrator.platform.server.chaos import Chaos, ChaosSpec
from orchestrator.platform.server.connection_limits import (
    BodyTimeout,
    ConnectionLimits,
    LimitedSite,
    body_timeout_answer,
    read_body,
)
from orchestrator.platform.server.documents import CheckedDocument, DocumentCache, DocumentLimits
from orchestrator.platform.server.error_codes import (
    ErrorCode,
    execution_code,
    internal_error,
    sql_too_complex,
    too_complex_filter,
    with_code,
)
from orchestrator.platform.server.fast_execute import NotFast
from orchestrator.platform.server.http_errors import json_error
from orchestrator.platform.server.log_route import LOGS_PATH, LogRoute
from orchestrator.platform.server.request_guard import RequestGuard, url_host
from orchestrator.platform.server.resolvers import RequestContext, load_schema
from orchestrator.platform.server.session_timeouts import session_timeouts
from orchestrator.platform.server.token_check import TokenCheck
from orchestrator.platform.store.readers import ReaderPool
from orchestrator.platform.store.sessions import SessionStore
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.where import MAX_FILTER_VALUES

log = structlog.get_logger(__name__)

GRAPHQL_PATH = "/graphql"
MAX_JSON_DEPTH = 100  # nesting levels of a request body's 'variables'
MAX_VARIABLE_LIST = MAX_FILTER_VALUES  # values in one list of 'variables': no filter takes more
GIL_SWITCH_SECONDS = 0.001
INLINE_BODY_BYTES = 64 * 1024  # larger bodies are decoded in a worker thread
_T = TypeVar("_T")
STATUS_PATH = "/status"  # GET, authenticated: what `orchestrator platform status` shows
CHAOS_KEY = web.AppKey("chaos", Chaos)
LIMITS_KEY = web.AppKey("limits", ConnectionLimits)


class _DiscardRequest(Exception):
    """Raised inside a mutation's transaction to roll the whole request back."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One request's JSON body and HTTP status."""

    body: Mapping[str, object]
    status: int = 200
    text: str | None = None  # the body already encoded (by a worker thread)


class GraphQLEndpoint:
    """Answers GraphQL requests against one store; owns the document cache."""

    def __init__(
        self,
        schema: GraphQLSchema,
        store: Store,
        executor: Executor,
        token: TokenCheck | None,
        limits: DocumentLimits,
        budget_seconds: float = 20.0,
        mutation_budget_seconds: float = 5.0,
        workers: int = 4,
        *,
        fast_path: bool = True,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self.schema = schema
        self.store = store
        self.sessions = SessionStore(store)
        self.executor = executor
        self.documents = DocumentCache(schema, limits, fast_plans=fast_path)
        self.fast_answers = 0  # requests the fast plan answered (for tests)
        self.fast_fallbacks = 0  # requests with a plan that needed the general path
        self.budget_seconds = budget_seconds
        self.mutation_budget_seconds = mutation_budget_seconds
        self.read_timeout = read_timeout  # seconds the body may take to arrive
        self.readers = ReaderPool(store)
        self.workers = ThreadPoolExecutor(workers, thread_name_prefix="graphql")
        self._running: set[Budget] = set()  # requests in progress, to stop at shutdown
        self._token = token
        self.started = time.monotonic()

    def authorized(self, request: web.Request) -> bool:
        """Constant-time comparison of the Authorization header with the token (``None``:
        ``--auth none``, every request is let in)."""
        if self._token is None:
            return True
        return self._token.accepts(request.headers.get("Authorization", ""))

    async def handle(self, request: web.Request) -> web.Response:
        """The /graphql POST handler."""
        if not self.authorized(request):
            return json_error(
                401,
                ErrorCode.UNAUTHENTICATED,
                "missing or invalid bearer token",
                **{"WWW-Authenticate": "Bearer"},
            )
        try:
            body = await read_body(request, self.read_timeout)
        except BodyTimeout:
            return body_timeout_answer(self.read_timeout)
        except web.HTTPRequestEntityTooLarge:
            return json_error(
                413,
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"request body over {request.client_max_size} bytes",
            )
        if len(body) > INLINE_BODY_BYTES:  # decoding megabytes would hold up the event loop
            payload, problem = await self._off_loop(_decode, body)
        else:
            payload, problem = _decode(body)
        if problem:
            return json_error(problem.status, problem.code, problem.message)
        answer = await self.run(
            payload["query"], payload.get("variables"), payload.get("operationName")
        )
        if answer.text is not None:
            return web.Response(
                text=answer.text, status=answer.status, content_type="application/json"
            )
        return web.json_response(answer.body, status=answer.status)

    async def status(self, request: web.Request) -> web.Response:
        """The /status GET handler: pid, uptime, jobs by status, executor, schedules."""
        if not self.authorized(request):
            return json_error(401, ErrorCode.UNAUTHENTICATED, "missing or invalid bearer token")
        counts = self.store.count_by_status()
        body = {
            "pid": os.getpid(),
            "uptime": round(time.monotonic() - self.started, 3),
            "jobs": {str(status): count for status, count in sorted(counts.items())},
            "executor": self.executor.status(),
            "schedules": self.executor.schedules(),
        }
        return web.json_response(body)

    async def run(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> Answer:
        """Check (cached) and execute one document within the request time budget.

        A cache miss is parsed and validated in a worker thread; a query executes in a
        worker thread on a read-only connection; a mutation executes on the event loop (the
        store's connection lives there; as every other client waits meanwhile, it gets the
        shorter mutation budget) in one transaction. It is rolled back whole when an error
        nulls ``data`` (a failed create), when the budget runs out (``TIMEOUT``), or when
        anything unexpected fails (an internal error: HTTP 500, ``data`` null, the error says
        ``rolledBack``); then nothing of it is kept.
        """
        budget = Budget(self.budget_seconds)
        self._running.add(budget)
        try:
            return await self._run(query, variables, operation_name, budget)
        finally:
            self._running.discard(budget)

    async def _run(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        budget: Budget,
    ) -> Answer:
        checked = self.documents.lookup(query)
        if checked is None:
            try:
                checked = await self._off_loop(self.documents.check, query, budget)
            except BudgetExceeded:
                return _timeout(budget, rolled_back=False)
            self.documents.remember(query, checked)
        if checked.document is None:
            return Answer(ExecutionResult(None, list(checked.errors)).formatted)
        operation = get_operation_ast(checked.document, operation_name)
        if operation is None or operation.operation is not OperationType.MUTATION:
            return await self._off_loop(self._query, checked, variables, operation_name, budget)
        budget.narrow(self.mutation_budget_seconds)  # every other client waits meanwhile
        return self._mutate(checked, variables, operation_name, budget)

    async def _off_loop(self, work: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self.workers, work, *args)

    def _query(
        self,
        checked: CheckedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        budget: Budget,
    ) -> Answer:
        """Execute a query (in a worker thread, on this thread's read-only store)."""
        reader = self.readers.reader()
        context = RequestContext(reader, SessionStore(reader))
        try:
            with budget.interrupting(reader.connection):
                result = self._execute(checked, variables, operation_name, context, budget)
        except Exception as error:  # a bug, or the database failing
            if budget.expired:
                return _timeout(budget, rolled_back=False)
            log.warning("request failed", error=repr(error), mutation=False)
            body = ExecutionResult(None, [internal_error(None, rolled_back=False)]).formatted
            return Answer(body, 500)
        if budget.expired:
            return _timeout(budget, rolled_back=False)
        answer = _answer(result)
        return Answer(answer.body, answer.status, json.dumps(answer.body))  # here, not on the loop

    def _mutate(
        self,
        checked: CheckedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        budget: Budget,
    ) -> Answer:
        """Execute a mutation on the event loop, in one transaction of the store."""
        context = RequestContext(self.store, self.sessions)
        result: ExecutionResult | None = None
        try:
            try:
                with self.store.transaction():
                    with budget.interrupting(self.store.connection):  # not around COMMIT
                        result = self._execute(checked, variables, operation_name, context, budget)
                    if budget.expired or (
                        result.errors and (result.data is None or _has_internal(result.errors))
                    ):
                        raise _DiscardRequest
            except _DiscardRequest:
                context.jobs_changed = False
            assert result is not None
        except Exception as error:  # BEGIN/COMMIT failed ("database is locked"), or a bug
            if budget.expired:  # SQLite may roll back an interrupted transaction by itself
                return _timeout(budget, rolled_back=True)
            log.warning("request failed", error=repr(error), mutation=True)
            body = ExecutionResult(None, [internal_error(None, rolled_back=True)]).formatted
            return Answer(body, 500)
        if budget.expired:
            return _timeout(budget, rolled_back=True)
        if context.jobs_changed:
            self.executor.notify()
        return _answer(result, mutation=True)

    def _execute(
        self,
        checked: CheckedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: RequestContext,
        budget: Budget,
    ) -> ExecutionResult:
        """Execute a checked document: its fast plan when it has one and the request is
        simple (a mutation's attempt in a savepoint), else graphql-core's general execution,
        which answers every error."""
        document = checked.document
        assert document is not None
        if checked.plan is not None:
            try:
                with _savepoint(context.store) if checked.plan.mutation else nullcontext():
                    data = checked.plan.execute(
                        self.schema, document, variables, operation_name, context, budget
                    )
                self.fast_answers += 1
                return ExecutionResult(data, None)
            except NotFast:
                self.fast_fallbacks += 1  # rolled back: the general path starts afresh
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
            middleware=[budget],
        )
        if not isinstance(result, ExecutionResult):  # resolvers are synchronous
            raise TypeError("unexpected asynchronous execution result")
        return result

    def close(self) -> None:
        """Stop the worker threads and close their connections (at application cleanup).

        Requests still in progress run out of budget at once, so the threads end quickly.
        """
        for budget in self._running:
            budget.expire()
        self.workers.shutdown(wait=True, cancel_futures=True)
        self.readers.close()


def _timeout(budget: Budget, *, rolled_back: bool) -> Answer:
    """The answer to a request stopped at its time budget: nothing of it was kept."""
    message = (
        f"the request ran over the time budget of {budget.seconds:g} s and was stopped"
        + ("; its changes were rolled back (nothing was kept)" if rolled_back else "")
        + "; send a smaller request or try again later"
    )
    extensions: dict[str, object] = {"code": ErrorCode.TIMEOUT.value}
    if rolled_back:
        extensions["rolledBack"] = True
    return Answer(ExecutionResult(None, [GraphQLError(message, extensions=extensions)]).formatted)


def _savepoint(store: Store) -> AbstractContextManager[None]:
    """A nested transaction of the request's: a failed fast attempt leaves nothing behind."""
    return store.transaction(savepoint=True)


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
        elif sql_too_complex(error.original_error):
            errors.append(too_complex_filter(error))
        else:
            errors.append(with_code(error, code))
    data = None if internal and mutation else result.data
    return Answer(ExecutionResult(data, errors or None).formatted, 500 if internal else 200)


ENDPOINT_KEY: web.AppKey[GraphQLEndpoint] = web.AppKey("endpoint")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request body is refused before any GraphQL work: its status, code and words."""

    message: str
    status: int = 400
    code: ErrorCode = ErrorCode.BAD_REQUEST


def _decode(body: bytes) -> tuple[Any, Refusal | None]:
    """The decoded request body, or why it is refused."""
    try:
        payload = json.loads(body)
    except RecursionError:
        return None, Refusal(f"request body nests too deeply; the limit is {MAX_JSON_DEPTH} levels")
    except (ValueError, UnicodeDecodeError) as error:
        return None, Refusal(f"request body is not valid JSON: {error}")
    return payload, _payload_problem(payload)


def _payload_problem(payload: Any) -> Refusal | None:
    """Why a decoded body is not a GraphQL request the server will take on, or ``None``."""
    if not isinstance(payload, dict):
        return Refusal("request body must be a JSON object {query, variables, operationName}")
    if not isinstance(payload.get("query"), str):
        return Refusal("request needs a 'query' string")
    if not isinstance(payload.get("variables") or {}, dict):
        return Refusal("'variables' must be a JSON object")
    deepest, longest = _variables_shape(payload.get("variables"), MAX_JSON_DEPTH)
    if deepest > MAX_JSON_DEPTH:
        return Refusal(f"'variables' nest too deeply; the limit is {MAX_JSON_DEPTH} levels")
    if longest > MAX_VARIABLE_LIST:
        # refused before graphql-core coerces it: 600,000 ids cost ~20 s of a worker's CPU
        return Refusal(
            f"a list in 'variables' has {longest:,} values, more than {MAX_VARIABLE_LIST:,}:"
            " send fewer per request",
            200,
            ErrorCode.BAD_USER_INPUT,
        )
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        return Refusal("'operationName' must be a string")
    return None


def _variables_shape(value: Any, depth_limit: int) -> tuple[int, int]:
    """How deep a decoded JSON value nests (counted up to one past ``depth_limit``) and its
    longest list, found without recursion.

    Deeper values would overflow the recursion of GraphQL's input coercion later; longer
    lists cost seconds to coerce, and no filter takes that many values anyway.
    """
    if not isinstance(value, dict | list):
        return 0, 0
    deepest, longest = 1, 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:  # only containers are pushed: a create's many scalars cost one test each
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > depth_limit:
            break
        if isinstance(item, list):
            longest = max(longest, len(item))
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return deepest, longest


def create_app(config: PlatformConfig, store: Store, executor: Executor) -> web.Application:
    """The aiohttp application serving /graphql, /logs, /status and the dashboard (with
    chaos, when configured).

    Its :class:`ConnectionLimits` (``app[LIMITS_KEY]``) are for the site that serves it.
    """
    limits = ConnectionLimits(config.read_timeout, config.max_connections)
    middlewares: list[Middleware] = [RequestGuard(config.host).middleware(), limits.middleware()]
    chaos: Chaos | None = None
    if config.chaos:
        chaos = Chaos(ChaosSpec.parse(config.chaos), config.seed)
        middlewares.append(chaos.middleware())
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=middlewares)
    app[LIMITS_KEY] = limits
    document_limits = DocumentLimits(
        max_root_fields=config.max_root_fields, max_depth=config.max_depth
    )
    token = None if config.auth_none else TokenCheck(config.token, config.token_file)
    endpoint = GraphQLEndpoint(
        load_schema(strict=config.strict_api),
        store,
        executor,
        token,
        document_limits,
        config.request_budget,
        config.mutation_budget,
        read_timeout=config.read_timeout,
    )
    app[ENDPOINT_KEY] = endpoint

    async def close_endpoint(_: web.Application) -> None:
        endpoint.close()

    app.on_cleanup.append(close_endpoint)
    app.cleanup_ctx.append(session_timeouts(endpoint.sessions))
    if chaos is not None:
        app[CHAOS_KEY] = chaos
    app.router.add_post(GRAPHQL_PATH, endpoint.handle)
    log_dir = (config.state_dir / "logs").resolve()
    logs = LogRoute(log_dir, endpoint)
    app.router.add_get(LOGS_PATH, logs.handle)
    app.router.add_get(STATUS_PATH, endpoint.status)

    # `/` and /ui/...: a client of this API over loopback (docs/dashboard.md)
    for_platform(config.token, config.token_file, token).install(app)
    return app


async def serve(config: PlatformConfig, on_ready: Callable[[str], None]) -> None:
    """Run the platform until SIGTERM/SIGINT: store, HTTP app and executor in one task group.

    Restart recovery (orphaned "in progress" jobs fail, leftover processes die) completes
    before the socket opens; ``on_ready`` gets the GraphQL URL once it accepts requests.
    """
    # A worker thread checking or executing a heavy request holds the GIL between switches;
    # the event loop waits for it at every socket call. Switching more often than Python's
    # 5 ms default keeps other clients' answers quick (bench/bench_hostile.py measures it).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(config.db_path)
    try:
        executor = make_executor(config, store)
        executor.recover()  # before the socket opens: no client sees an orphan "in progress"
        app = create_app(config, store, executor)
        http_log.install()  # aiohttp's records without tracebacks or header bytes
        limits = app[LIMITS_KEY]
        runner = web.AppRunner(  # the keep-alive timer times out the next requests' headers
            app, access_log=None, shutdown_timeout=2.0, keepalive_timeout=limits.read_timeout
        )
        await runner.setup()
        try:
            site = LimitedSite(runner, config.host, config.port, limits)
            await site.start()
            port = runner.addresses[0][1]
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            async with asyncio.TaskGroup() as group:
                executor_task = group.create_task(executor.run())
                log.info("platform ready", host=config.host, port=port, db=str(config.db_path))
                url = f"http://{url_host(config.host)}:{port}{GRAPHQL_PATH}"
                executor.serving_at(url)
                on_ready(url)
                await stop.wait()
                executor_task.cancel()
        finally:
            await runner.cleanup()
    finally:
        store.close()
