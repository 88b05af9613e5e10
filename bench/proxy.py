"""A throttling TCP proxy on 127.0.0.1: a 2G link (bandwidth each way, delay each way)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass


@dataclass
class Link:
    bytes_per_second: float
    one_way_delay: float


class ThrottlingProxy:
    """Forwards 127.0.0.1:port to a target, paced to `link` in both directions."""

    def __init__(self, target_port: int, link: Link) -> None:
        self.target_port = target_port
        self.link = link
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        # Opening a connection costs a round trip on the real link.
        await asyncio.sleep(2 * self.link.one_way_delay)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Bytes leave when the link has sent them and arrive one delay later, pipelined."""
        link = self.link
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                arrive, data = item
                await asyncio.sleep(max(0.0, arrive - time.monotonic()))
                writer.write(data)
                await writer.drain()

        delivery = asyncio.ensure_future(deliver())
        free_at = 0.0  # when the modelled link is next free in this direction
        try:
            while data := await reader.read(1400):
                free_at = max(free_at, time.monotonic()) + len(data) / link.bytes_per_second
                queue.put_nowait((free_at + link.one_way_delay, data))
            queue.put_nowait(None)
            await delivery
        except (ConnectionError, asyncio.CancelledError):
            delivery.cancel()
        finally:
            writer.close()
