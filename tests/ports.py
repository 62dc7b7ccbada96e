"""Loopback ports for the tests' servers, safe when pytest-xdist runs tests in parallel.

A server the test starts in its own process binds port 0 and reads the port back (the live
server, ``SmtpController``): nothing can take it in between. A server started as another process
(`make run`, gunicorn) needs its port named first: ``free_port`` gives one from this worker's
own block, below the range the OS hands out for port 0, so no other worker's server is given
it between the check here and the process binding it.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import socket

from aiosmtpd.controller import Controller

# Below Linux's ephemeral range (32768-60999): the OS never gives these for port 0.
FIRST_PORT = 20_000
PORTS_PER_WORKER = 200
WORKER_BLOCKS = 60  # gw0 … gw59, then round again (20,000-31,999)


def worker_index() -> int:
    """This pytest-xdist worker's number (gw3 -> 3), 0 when the suite runs serially."""
    found = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(found.group(1)) if found else 0


def _ports():
    first = FIRST_PORT + (worker_index() % WORKER_BLOCKS) * PORTS_PER_WORKER
    # From a random place in the block, so two suites run at once rarely meet (the OS's
    # randomness, whatever a test seeded).
    start = random.SystemRandom().randrange(PORTS_PER_WORKER)
    for n in itertools.count(start):
        yield first + n % PORTS_PER_WORKER


_PORTS = _ports()


def free_port() -> int:
    """A loopback port nothing listens on now, from this worker's own block."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in worker {worker_index()}'s block of {PORTS_PER_WORKER}")


class SmtpController(Controller):
    """aiosmtpd's Controller on loopback, on a port 0 bind read back once it listens (its
    own Controller connects to the port it was given, so it cannot take 0 itself)."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _create_server(self):
        return self._listen()

    async def _listen(self):
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server
