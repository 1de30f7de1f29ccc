"""HTTP GET with timeouts, retries and errors a person can act on (shared by ISS and CBR).

Retried (exponential backoff, ``tries`` attempts in all): HTTP 5xx, timeouts and
dropped connections; HTTP 429 too, after the server's ``Retry-After`` (seconds form,
capped at :data:`MAX_RETRY_AFTER`). Not retried: other 4xx answers, which will not
improve by asking again. One deadline bounds the whole call, all attempts and waits
included (:data:`DEFAULT_DEADLINE` seconds, or ``$EVENTSTUDY_HTTP_DEADLINE``): the body
is read piece by piece and the call gives up once the deadline passes, so a server
that drips a byte every few seconds cannot hold a run for hours. Every failure raises
:class:`~eventstudy.errors.DataUnavailableError` naming the URL and what came back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventstudy.errors import ConfigError, DataUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    import requests

#: (connect, read) timeout in seconds used when a source is given none.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
DEFAULT_TRIES = 3
DEFAULT_BACKOFF = 0.5
#: Seconds one :func:`get` call may take in all (connect, answer, body, retries).
DEFAULT_DEADLINE = 120.0
DEADLINE_ENV_VAR = "EVENTSTUDY_HTTP_DEADLINE"
#: Longest wait, in seconds, granted to a ``Retry-After`` header of an HTTP 429 answer.
MAX_RETRY_AFTER = 60.0
_CHUNK = 65536


def pause(seconds: float) -> None:
    """Wait between attempts (looked up at call time, so tests can replace it)."""
    time.sleep(seconds)


def http_deadline(deadline: float | None = None) -> float:
    """Seconds a request may take: ``deadline``, else ``$EVENTSTUDY_HTTP_DEADLINE``, else 120.

    Raises
    ------
    ConfigError
        When the environment variable is not a positive number.
    """
    if deadline is not None:
        return float(deadline)
    text = os.environ.get(DEADLINE_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_DEADLINE
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ConfigError(
            f"{DEADLINE_ENV_VAR}={text!r} is not a positive number of seconds",
            fix=f"set it to e.g. {DEFAULT_DEADLINE:g}, or unset it",
        )
    return value


def base_url(env_var: str, default: str, override: str | None = None) -> str:
    """Scheme and host of a service: ``override``, else ``$env_var`` (read now), else default."""
    url = override or os.environ.get(env_var) or default
    return url.rstrip("/")


def new_session() -> requests.Session:
    """A ``requests.Session`` with an identifying User-Agent."""
    import requests

    from eventstudy import __version__

    session = requests.Session()
    session.headers["User-Agent"] = f"eventstudy/{__version__} (+https://pypi.org/project/eventstudy)"
    return session


@dataclass
class HttpClient:
    """One service's connection settings: session, base URL, timeout and retries.

    The base URL is ``override_url``, else the environment variable ``env_var`` read
    at each call (so tests can point a live source at a local server), else
    ``default_url``. The session is created on first use.
    """

    service: str
    env_var: str
    default_url: str
    session: requests.Session | None = None
    override_url: str | None = None
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    tries: int = DEFAULT_TRIES
    backoff: float = DEFAULT_BACKOFF
    sleep: Callable[[float], None] | None = None
    deadline: float | None = None

    @property
    def base_url(self) -> str:
        """Scheme and host in use now."""
        return base_url(self.env_var, self.default_url, self.override_url)

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> requests.Response:
        """GET ``url`` with this client's retries; see :func:`get`."""
        if self.session is None:
            self.session = new_session()
        extra: dict[str, Any] = {} if self.sleep is None else {"sleep": self.sleep}
        return get(self.session, url, params, service=self.service, timeout=self.timeout,
                   tries=self.tries, backoff=self.backoff, deadline=self.deadline, **extra)


def full_url(url: str, params: Mapping[str, str | int] | None = None) -> str:
    """``url`` with ``params`` as its query string, as it is sent."""
    import requests

    return requests.Request("GET", url, params=params).prepare().url or url


def snippet(data: bytes | str, limit: int = 120) -> str:
    """The start of a payload as one printable line, for error messages."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    text = " ".join(data.split())
    if not text:
        return "an empty body"
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def get(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int] | None = None,
    *,
    service: str,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    tries: int = DEFAULT_TRIES,
    backoff: float = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] | None = None,
    deadline: float | None = None,
) -> requests.Response:
    """GET ``url`` and return the successful response, its body read in full.

    Parameters
    ----------
    session
        The session to use (connection pooling, headers).
    url, params
        What to request.
    service
        Human name of the service for messages (``"MOEX ISS"``).
    timeout
        Seconds (or ``(connect, read)``) per attempt, for connecting and for each
        wait for data.
    tries
        Attempts in all; waits ``backoff * 2**k`` seconds before attempt ``k + 2``, or
        the ``Retry-After`` of an HTTP 429 answer (at most :data:`MAX_RETRY_AFTER`).
    backoff
        Base of the exponential backoff, in seconds.
    sleep
        Called to wait between attempts; default :func:`pause`.
    deadline
        Seconds the whole call may take; default :func:`http_deadline`.

    Raises
    ------
    DataUnavailableError
        On a 4xx answer other than 429, when every attempt got a 5xx or 429 answer,
        timed out or lost its connection, or when the deadline passed. The message
        names the full URL and what came back.
    """
    import requests

    requested = full_url(url, params)
    seconds = http_deadline(deadline)
    stop_at = time.monotonic() + seconds
    late = (
        f"{service} unavailable: GET {requested} gave no complete answer within {seconds:g} s "
        f"(the deadline; set {DEADLINE_ENV_VAR} to change it)"
    )
    last = "nothing"
    wait = 0.0
    for attempt in range(max(1, tries)):
        if attempt:
            if time.monotonic() + wait > stop_at:
                raise DataUnavailableError(f"{late}; last: {last}")
            (sleep or pause)(wait)
        wait = backoff * 2**attempt
        try:
            response = session.get(url, params=params, timeout=timeout, stream=True)
            body = _read_body(response, stop_at)
        except _DeadlinePassed:
            raise DataUnavailableError(late) from None
        except requests.Timeout:
            last = f"no answer within {_seconds(timeout)} s (timeout)"
            continue
        except requests.ConnectionError as error:
            last = f"connection failed or dropped ({_reason(error)})"
            continue
        except requests.RequestException as error:  # e.g. ChunkedEncodingError
            last = f"transfer failed ({_reason(error)})"
            continue
        response._content = body  # what requests stores when it reads the body itself
        status = response.status_code
        if status == 429:
            retry_after = _retry_after(response)
            last = f"HTTP 429 {response.reason or 'Too Many Requests'}".rstrip()
            if retry_after is not None:
                last += f" (Retry-After: {response.headers['Retry-After']})"
                wait = min(retry_after, MAX_RETRY_AFTER)
            continue
        if status >= 500:
            last = f"HTTP {status} {response.reason or ''}".rstrip()
            last += f" with {snippet(response.content)}"
            continue
        if status >= 400:
            raise DataUnavailableError(
                f"{service} answered HTTP {status} {response.reason or ''} to GET {requested}"
                f" with {snippet(response.content)}"
            )
        return response
    raise DataUnavailableError(
        f"{service} unavailable: GET {requested} failed after {max(1, tries)} tries; last: {last}"
    )


class _DeadlinePassed(Exception):
    """The overall deadline of :func:`get` passed while reading an answer."""


def _read_body(response: requests.Response, stop_at: float) -> bytes:
    """The whole body, read as it arrives; :class:`_DeadlinePassed` once ``stop_at`` passes.

    ``read1`` returns whatever one network read brings, so the deadline is checked
    between reads however slowly the server sends. urllib3 errors are raised as the
    ``requests`` exceptions they stand for.
    """
    import requests
    from urllib3.exceptions import HTTPError, ReadTimeoutError

    chunks: list[bytes] = []
    try:
        while True:
            if time.monotonic() > stop_at:
                response.close()
                raise _DeadlinePassed
            chunk = response.raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except ReadTimeoutError as error:
        raise requests.Timeout(str(error)) from None
    except HTTPError as error:
        raise requests.ConnectionError(str(error) or type(error).__name__) from None


def _retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds when given in its seconds form, else ``None``."""
    text = response.headers.get("Retry-After", "").strip()
    return float(text) if text.isdigit() else None


def _seconds(timeout: float | tuple[float, float]) -> str:
    value = max(timeout) if isinstance(timeout, tuple) else timeout
    return f"{value:g}"


def _reason(error: Exception) -> str:
    """The useful part of a requests/urllib3 error ("[Errno 111] Connection refused")."""
    inner: object = error.args[0] if error.args else error
    inner = getattr(inner, "reason", None) or inner  # urllib3 MaxRetryError -> its cause
    text = " ".join(str(inner).split())
    if "): " in text:  # "HTTPConnection(host=..., port=...): Failed to establish ..."
        text = text.split("): ", 1)[1]
    return text[:160] or type(error).__name__
