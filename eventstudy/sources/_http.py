"""HTTP GET with timeouts, retries and errors a person can act on (shared by ISS and CBR).

Retried (exponential backoff, ``tries`` attempts in all): HTTP 5xx, timeouts and
dropped connections. Not retried: 4xx answers, which will not improve by asking again.
Every failure raises :class:`~eventstudy.errors.DataUnavailableError` naming the URL
and what came back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventstudy.errors import DataUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    import requests

#: (connect, read) timeout in seconds used when a source is given none.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
DEFAULT_TRIES = 3
DEFAULT_BACKOFF = 0.5


def pause(seconds: float) -> None:
    """Wait between attempts (looked up at call time, so tests can replace it)."""
    time.sleep(seconds)


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
                   tries=self.tries, backoff=self.backoff, **extra)


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
) -> requests.Response:
    """GET ``url`` and return the successful response.

    Parameters
    ----------
    session
        The session to use (connection pooling, headers).
    url, params
        What to request.
    service
        Human name of the service for messages (``"MOEX ISS"``).
    timeout
        Seconds (or ``(connect, read)``) per attempt.
    tries
        Attempts in all; waits ``backoff * 2**k`` seconds before attempt ``k + 2``.
    backoff
        Base of the exponential backoff, in seconds.
    sleep
        Called to wait between attempts; default :func:`pause`.

    Raises
    ------
    DataUnavailableError
        On a 4xx answer, or when every attempt got a 5xx answer, timed out or lost
        its connection. The message names the full URL and what came back.
    """
    import requests

    full_url = requests.Request("GET", url, params=params).prepare().url or url
    last = "nothing"
    for attempt in range(max(1, tries)):
        if attempt:
            (sleep or pause)(backoff * 2 ** (attempt - 1))
        try:
            response = session.get(url, params=params, timeout=timeout)
        except requests.Timeout:
            last = f"no answer within {_seconds(timeout)} s (timeout)"
            continue
        except requests.ConnectionError as error:
            last = f"connection failed or dropped ({_reason(error)})"
            continue
        except requests.RequestException as error:  # e.g. ChunkedEncodingError
            last = f"transfer failed ({_reason(error)})"
            continue
        status = response.status_code
        if status >= 500:
            last = f"HTTP {status} {response.reason or ''}".rstrip()
            last += f" with {snippet(response.content)}"
            continue
        if status >= 400:
            raise DataUnavailableError(
                f"{service} answered HTTP {status} {response.reason or ''} to GET {full_url}"
                f" with {snippet(response.content)}"
            )
        return response
    raise DataUnavailableError(
        f"{service} unavailable: GET {full_url} failed after {max(1, tries)} tries; last: {last}"
    )


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
