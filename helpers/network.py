"""Downloads that end: limits on every download the helpers start, whatever the network does.

Keras downloads datasets and weights (``keras.utils.get_file``) with
``urllib`` and no limit of its own. A socket timeout does not bound a name
lookup that hangs, nor a server that trickles a byte a second (every byte
starts the timeout again), so a notebook cell could stay busy forever.
Inside :func:`download_limits`, every download Keras starts runs under these
limits and otherwise ends in a :class:`DownloadTimeout` that says how far it
got and where to download the file by hand:

* ``first_byte_s`` – the name lookup, the connection and the server's first
  answer, together; also the longest silence allowed during the transfer;
* ``min_rate`` bytes per second, averaged over each ``window_s`` – a transfer
  slower than that stops (a trickle ends within about ``window_s``);
* ``deadline_s`` – each file, from the request to its last byte, however fast.

Any other socket opened meanwhile gets ``first_byte_s`` as its timeout.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from . import checks

FIRST_BYTE_S = 8.0  # name lookup + connection + first answer: a dead or silent host fails within 10 s
MIN_RATE = 20_000  # bytes per second, averaged over each RATE_WINDOW_S: slower stops (a trickle)
RATE_WINDOW_S = 20.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits one download runs under (see :func:`download_limits`)."""

    first_byte_s: float
    deadline_s: float
    min_rate: float
    window_s: float


class DownloadTimeout(TimeoutError):
    """A download ran past one of its limits; says which, how far it got, and the file's address.

    ``stage``: ``"answer"`` (no answer within ``first_byte_s``: name lookup,
    connection or reply), ``"silence"`` (no byte for ``first_byte_s`` during the
    transfer), ``"rate"`` (slower than ``min_rate``) or ``"deadline"``.
    """

    def __init__(self, url: str, target: str | None, stage: str, seconds: float, received: int,
                 total: int | None, limits: Limits):
        self.url, self.target, self.stage = url, target, stage
        self.seconds, self.received, self.total, self.limits = seconds, received, total, limits
        got = f"{received:,} of {total:,} bytes" if total else f"{received:,} bytes"
        host = urllib.parse.urlsplit(url).hostname or url
        if stage == "answer":
            text = (f"no answer within {limits.first_byte_s:g} s from {host} "
                    "(name lookup, connection and first reply together)")
        elif stage == "silence":
            text = f"the transfer stopped: no byte for {limits.first_byte_s:g} s after {got}"
        elif stage == "rate":
            text = (f"the transfer was slower than {limits.min_rate / 1000:g} kB/s over "
                    f"{limits.window_s:g} s: {got} in {seconds:.1f} s")
        else:
            text = f"the transfer did not finish within {limits.deadline_s:g} s: {got} arrived"
        super().__init__(text)


def by_hand(error: BaseException) -> str:
    """One line saying where to download the file of a :class:`DownloadTimeout` by hand, or ``""``."""
    if not isinstance(error, BaseException):
        raise TypeError(f"error must be an exception, got {checks.describe(error)}.")
    if not isinstance(error, DownloadTimeout):
        return ""
    where = f" and save it as {error.target}" if error.target else ""
    return f"- or download {error.url} by hand (a browser, curl or wget){where}, then run again\n"


def _keras_file_utils():
    """Keras's download module, whose ``urlretrieve`` ``get_file`` calls; None if it moved."""
    try:
        from keras.src.utils import file_utils
    except ImportError:
        return None
    return file_utils if callable(getattr(file_utils, "urlretrieve", None)) else None


@contextlib.contextmanager
def download_limits(first_byte_s: float | None = None, deadline_s: float = 600.0,
                    min_rate: float | None = None, window_s: float | None = None) -> Iterator[Limits]:
    """Run the ``with`` block with every Keras download bounded; yield the :class:`Limits` in force.

    ``None`` takes the module's default (:data:`FIRST_BYTE_S`, :data:`MIN_RATE`,
    :data:`RATE_WINDOW_S`, read when the block starts). On leaving, Keras's
    downloader and the process's socket timeout are restored as they were.
    """
    first_byte_s = checks.number(FIRST_BYTE_S if first_byte_s is None else first_byte_s, "first_byte_s",
                                 0, 120, low_open=True)
    deadline_s = checks.number(deadline_s, "deadline_s", 0, 24 * 3600, low_open=True)
    min_rate = checks.number(MIN_RATE if min_rate is None else min_rate, "min_rate", 0)
    window_s = checks.number(RATE_WINDOW_S if window_s is None else window_s, "window_s", 0, 3600,
                             low_open=True)
    limits = Limits(first_byte_s, deadline_s, min_rate, window_s)
    file_utils = _keras_file_utils()
    previous_timeout = socket.getdefaulttimeout()
    previous_retrieve = file_utils.urlretrieve if file_utils is not None else None
    socket.setdefaulttimeout(first_byte_s)
    if file_utils is not None:
        file_utils.urlretrieve = functools.partial(bounded_urlretrieve, limits=limits)
    try:
        yield limits
    finally:
        socket.setdefaulttimeout(previous_timeout)
        if file_utils is not None:
            file_utils.urlretrieve = previous_retrieve


def bounded_urlretrieve(url: str, filename: str | None = None, reporthook=None, data=None, *,
                        limits: Limits) -> tuple[str, object]:
    """``urllib.request.urlretrieve`` under ``limits``: returns ``(filename, headers)`` like it.

    Raises :class:`DownloadTimeout` past a limit (the partly written file is
    left for the caller, as urllib leaves it; Keras deletes it).
    """
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a helpers.network.Limits, got {checks.describe(limits)}.")
    started = time.monotonic()
    response = _open_within(url, data, filename, limits, started)
    with contextlib.closing(response):
        headers = response.info()
        try:
            total = int(headers.get("Content-Length", -1))
        except (TypeError, ValueError):
            total = -1
        if filename is None:
            handle = tempfile.NamedTemporaryFile(delete=False)
            filename = handle.name
        else:
            handle = open(filename, "wb")
        read = getattr(response, "read1", None) or response.read
        sock = _socket_of(response)
        received, window_start, window_received = 0, time.monotonic(), 0
        with handle:
            if reporthook:
                reporthook(0, 1, total)
            while True:
                now = time.monotonic()
                left = started + limits.deadline_s - now
                if left <= 0:
                    raise DownloadTimeout(url, filename, "deadline", now - started, received,
                                          total if total >= 0 else None, limits)
                if sock is not None:  # the next read waits no longer than the limits allow
                    with contextlib.suppress(OSError):
                        sock.settimeout(min(limits.first_byte_s, left))
                try:
                    block = read(CHUNK)
                except TimeoutError:
                    now = time.monotonic()
                    stage = "deadline" if now - started >= limits.deadline_s - 0.01 else "silence"
                    raise DownloadTimeout(url, filename, stage, now - started, received,
                                          total if total >= 0 else None, limits) from None
                if not block:
                    break
                handle.write(block)
                received += len(block)
                if reporthook:
                    reporthook(received, 1, total)
                now = time.monotonic()
                if now - window_start >= limits.window_s:
                    if (received - window_received) / (now - window_start) < limits.min_rate:
                        raise DownloadTimeout(url, filename, "rate", now - started, received,
                                              total if total >= 0 else None, limits)
                    window_start, window_received = now, received
    if 0 <= total and received < total:
        raise urllib.error.ContentTooShortError(
            f"retrieval incomplete: got only {received:,} out of {total:,} bytes", (filename, headers))
    return filename, headers


def _open_within(url, data, filename, limits: Limits, started: float):
    """``urlopen`` in a helper thread, given up after ``first_byte_s`` (a hanging name lookup too)."""
    outcome: dict = {}
    lock = threading.Lock()

    def attempt():
        try:
            response = urllib.request.urlopen(url, data, timeout=limits.first_byte_s)
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            with lock:
                outcome["error"] = error
            return
        with lock:
            if outcome.get("abandoned"):
                response.close()  # too late: nobody reads it
            else:
                outcome["response"] = response

    worker = threading.Thread(target=attempt, name="helpers-download-answer", daemon=True)
    worker.start()
    worker.join(max(0.0, started + limits.first_byte_s - time.monotonic()))
    with lock:
        if "response" not in outcome and "error" not in outcome:
            outcome["abandoned"] = True  # a stuck name lookup or connection ends on its own, unread
    error = outcome.get("error")
    if "response" in outcome:
        return outcome["response"]
    if error is None or isinstance(error, TimeoutError) or (
            isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError)):
        raise DownloadTimeout(url, filename, "answer", time.monotonic() - started, 0, None, limits) from None
    raise error


def _socket_of(response):
    """The socket an ``http.client`` response reads from, or None (then urlopen's timeout applies)."""
    raw = getattr(getattr(response, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if callable(getattr(sock, "settimeout", None)) else None
