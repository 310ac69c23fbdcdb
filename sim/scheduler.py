"""Connecting to a Dask scheduler given by the user, refusing an address that is not one first.

Dask trusts what answers at the address: a web server's reply read as a Dask message asks for
exabytes of memory, and a server that never answers can hold the connection past Dask's own
timeout. So the address is parsed and the scheduler's greeting checked here, with a deadline,
before Dask connects.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

SCHEMES = ("tcp", "tls")
# A Dask comm opens with the byte length of its first message (the handshake, a few hundred
# bytes), a little-endian 64-bit count. Anything past this is not a Dask scheduler talking.
MAX_GREETING = 1 << 20
TIMEOUT_SECONDS = 10.0
EXAMPLE = "tcp://10.0.0.5:8786"


def parse(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a scheduler address, or ValueError saying what is wrong."""
    from distributed.comm.addressing import parse_address, parse_host_port

    if not address.strip():
        raise ValueError(f"the address is empty; give one such as {EXAMPLE}")
    try:
        scheme, location = parse_address(address.strip(), strict=False)
    except (ValueError, TypeError):
        raise ValueError(f"{address!r} is not a scheduler address such as {EXAMPLE}") from None
    if scheme not in SCHEMES:
        raise ValueError(
            f"{address!r}: lunarsim reaches a Dask scheduler over {' or '.join(s + '://' for s in SCHEMES)} "
            f"(e.g. {EXAMPLE}), not {scheme}://"
        )
    try:
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        raise ValueError(f"{address!r} needs a host and a port, e.g. {EXAMPLE}") from None
    if not host or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"{address!r} needs a host and a port from 1 to 65535, e.g. {EXAMPLE}")
    return scheme, host, port


def check_greeting(host: str, port: int, timeout: float | None = None) -> None:
    """Raise ValueError unless a Dask scheduler greets a plain TCP connection to host:port
    within `timeout` seconds (it speaks first, with the length of its handshake)."""
    where = f"{host}:{port}"
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            head = b""
            while len(head) < 8:
                chunk = conn.recv(8 - len(head))
                if not chunk:
                    raise ValueError(f"{where} closed the connection: not a Dask scheduler")
                head += chunk
    except TimeoutError:
        raise ValueError(
            f"nothing at {where} answered as a Dask scheduler within {timeout:.0f} s"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ValueError(f"cannot reach {where}: {reason[:1].lower() + reason[1:]}") from None
    (length,) = struct.unpack("<Q", head)
    if not 0 < length <= MAX_GREETING:
        raise ValueError(f"{where} does not speak Dask's protocol: not a Dask scheduler")


def connect(address: str) -> Any:
    """A `dask.distributed.Client` for `address`, or ValueError saying why there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs Dask: pip install 'lunarsim[dask]'") from None
    scheme, host, port = parse(address)
    if scheme == "tcp":
        check_greeting(host, port)
    try:
        return Client(address.strip(), timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # whatever Dask raises, the address is the user's to fix
        raise ValueError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
