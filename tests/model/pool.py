"""Fresh local stacks for the model's examples, one started ahead in the background while
the current example runs (a start takes 3 to 5 s; an example a few seconds more), so each
example gets a stack no other example touched without waiting for it."""
from __future__ import annotations

import atexit
import threading

from tests.live import Stack


class Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ahead: dict[str, tuple[threading.Thread, dict]] = {}

    def _start(self, profile: str) -> None:
        box: dict = {}

        def run() -> None:
            try:
                box["stack"] = Stack(PRIVACY_PROFILE=profile).start()
            except BaseException as exc:  # told to the example that takes it
                box["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.ahead[profile] = (thread, box)

    def take(self, profile: str) -> Stack:
        with self.lock:
            if profile not in self.ahead:
                self._start(profile)
            thread, box = self.ahead.pop(profile)
            thread.join()
            self._start(profile)
        if "error" in box:
            raise box["error"]
        return box["stack"]

    def close(self) -> None:
        with self.lock:
            for thread, box in self.ahead.values():
                thread.join()
                if "stack" in box:
                    box["stack"].stop()
            self.ahead.clear()


STACKS = Pool()
atexit.register(STACKS.close)
