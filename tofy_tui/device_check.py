"""The engine's verdict on the form's Device setting, remembered per device: answered at once
for every device but cuda; for cuda, found in a worker, because asking for a CUDA GPU imports
torch, which must never slow the app down. Start waits for a verdict it does not have yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from tofy_core.errors import TofyError
from tofy_tui.messages import DeviceChecked


@dataclass
class DeviceChecks:
    verdicts: dict[str, str] = field(default_factory=dict)  # device → complaint ("" = usable)
    start_when_checked: bool = False  # Start was pressed before the verdict came

    def known(self, device: str) -> str | None:
        """The verdict on `device` when known or cheap to find; None when a worker must."""
        if device not in self.verdicts and device != "cuda":  # torch is imported for cuda only
            self.verdicts[device] = device_problem(device)
        return self.verdicts.get(device)

    def took(self, message: DeviceChecked) -> None:
        self.verdicts[message.device] = message.problem


def check_in_worker(device: str, post: Callable[[Message], object]) -> None:
    """A worker's body: post the verdict on a device the UI thread must not ask about."""
    post(DeviceChecked(device, device_problem(device)))


def device_problem(device: str) -> str:
    """The engine's complaint about a device ("" when it can be used)."""
    from tofy_core.train.preflight import check_device  # not for the first frame

    try:
        check_device(device)
    except TofyError as exc:
        return str(exc)
    return ""
