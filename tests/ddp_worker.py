"""Run by the 2-process tests under torchrun: `tofy train …` unchanged, and then each rank
writes what the test compares (its weights' and teacher's digest, the real tokens it trained
on itself) to OUT/rank<R>.json. TOFY_TEST_FAIL_RANK=R makes rank R fail at step 3.
Usage: ddp_worker.py OUT tofy-arguments…"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from tofy_core.cli import main
from tofy_core.model.latent import export_tensors
from tofy_core.train.trainer import Trainer

OUT = Path(sys.argv[1])
_fit = Trainer.fit
_make_batch = Trainer.make_batch
own_tokens = [0]


def make_batch(self):
    if os.environ["RANK"] == os.environ.get("TOFY_TEST_FAIL_RANK") and self.step == 3:
        raise RuntimeError("this process failed on purpose")
    batch = _make_batch(self)
    own_tokens[0] += int(batch.real_tokens)
    return batch


def fit(self) -> str:
    status = _fit(self)
    digests = {
        name: hashlib.sha256(tensor.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
        for name, tensor in export_tensors(self.model).items()
    }
    record = {"weights": digests, "real_tokens": own_tokens[0], "step": self.step}
    (OUT / f"rank{os.environ['RANK']}.json").write_text(json.dumps(record))
    return status


Trainer.fit = fit
Trainer.make_batch = make_batch
sys.exit(main(sys.argv[2:]))
