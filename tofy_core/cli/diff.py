"""`tofy diff`: ask a trained model `phrase with _ => answer` from the shell.

    tofy diff RUN|MODEL [--vocab FILE] [--heads N] [--top-k N] [--json] [--query Q]
    tofy --diff MODEL VOCAB [dim max_seq layers heads]      (the seed's form and output)
    tofy diff MODEL VOCAB [dim max_seq layers heads]        (the same, without the dashes)

On a terminal it is a prompt with history; from a pipe it answers one query per line; an empty
line or end of input ends it. A bad query gets one clear message and the next line is read."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TextIO

from tofy_core import paths
from tofy_core.cli.args import HelpFormatter, positive_int
from tofy_core.errors import QueryError, TofyError
from tofy_core.format import format_count
from tofy_core.runs.seed_format import DIFF_SIZES, SeedSizes, parse_sizes

SEED_USAGE = "usage: tofy --diff MODEL VOCAB [dim max_seq layers heads]"
HISTORY_FILE = "diff_history"
HISTORY_LENGTH = 1000
PROMPT = "diff> "
EXIT_QUERY_FAILED = 1

DIFF_EPILOG = """query:  PHRASE => ANSWER   the mask is _ or [MASK], standing as its own word
        so how have you _ lately? => been
        so how have you _ lately? => been, done, felt     (several answers, ranked)
        so how have you _ lately?                         (no answer: the model's guesses)
examples:
  tofy diff 20261129-101500-ab12                 # a prompt with history
  tofy diff my-run --query "i _ you => love"     # one answer, then exit
  cat queries.txt | tofy diff my-run --json      # one JSON object per line
  tofy diff model_latent.safetensors vocab_latent.txt 256 96 4 4   # the seed's form
An empty line or Ctrl-D quits. Exit code: 1 when a piped query failed, 2 when --query did."""


def add_commands(subparsers) -> None:
    diff = subparsers.add_parser(
        "diff",
        help="probe a trained model: phrase with _ => answer",
        description=(
            "Predict the embedding of the masked word and compare it with the answer's: "
            "cosine (and the L2 distance between the unit vectors), the answer's rank among all "
            "words, and the nearest words. Without `=> ANSWER`, the nearest words are the "
            "model's guesses."
        ),
        epilog=DIFF_EPILOG,
        formatter_class=HelpFormatter,
    )
    diff.add_argument(
        "model", metavar="RUN|MODEL", help="run id, unique id prefix, name, folder, or .safetensors"
    )
    diff.add_argument(
        "seed_args",
        nargs="*",
        metavar="VOCAB [dim max_seq layers heads]",
        help="the seed's form: a vocab file and sizes to check; prints the seed's two lines",
    )
    diff.add_argument("--vocab", default=None, help="vocab file (default: the one beside it)")
    diff.add_argument(
        "--heads",
        type=positive_int,
        default=None,
        help="attention heads of a seed file (default 4; Tofy files record theirs)",
    )
    diff.add_argument("--top-k", type=positive_int, default=5, help="nearest words to show")
    diff.add_argument("--json", action="store_true", help="one JSON object per query")
    diff.add_argument(
        "--query", "-q", action="append", default=None, help="answer it and exit (repeatable)"
    )
    diff.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from tofy_core.probe.prober import Prober

    style = "json" if args.json else "text"
    vocab, sizes = args.vocab, SeedSizes(heads=args.heads)
    if args.seed_args:
        if args.vocab:
            raise TofyError("give the vocab either after the model or with --vocab, not both")
        vocab, sizes = args.seed_args[0], parse_seed_sizes(args.seed_args[1:])
        if args.heads is not None and sizes.heads not in (None, args.heads):
            raise TofyError(f"heads given twice: {sizes.heads} and --heads {args.heads}")
        if args.heads is not None:
            sizes = SeedSizes(sizes.dim, sizes.max_seq, sizes.layers, args.heads)
        style = "json" if args.json else "seed"
    prober = Prober.load(args.model, vocab, sizes=sizes)
    return converse(prober, style, args.top_k, args.query)


def run_seed_diff(argv: list[str]) -> int:
    """`tofy --diff MODEL VOCAB [dim max_seq layers heads]`, as the seed had it."""
    from tofy_core.probe.prober import Prober

    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        raise TofyError(SEED_USAGE)
    sizes = parse_seed_sizes(argv[2:])
    prober = Prober.load(argv[0], argv[1], sizes=sizes)
    return converse(prober, "seed", 5, None)


def parse_seed_sizes(values: list[str]):
    """The seed's optional numbers after the vocab: dim max_seq layers heads."""
    return SeedSizes(**parse_sizes(values, DIFF_SIZES, SEED_USAGE))


# --- the conversation ---------------------------------------------------------------------


def converse(
    prober,
    style: str,
    top_k: int,
    queries: list[str] | None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Answer `queries`, or every line of stdin (a prompt with history on a terminal).
    `style` is `text`, `seed` (the seed's two lines) or `json` (one object per query)."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = queries is None and stdin.isatty()
    if style == "seed":
        _seed_header(prober, out)
    elif interactive and style == "text":
        print(prober.describe(), file=out)
        print("phrase with _ => answer (several: a, b, c); empty line or Ctrl-D quits", file=out)
    if queries is not None:
        lines: Iterator[str] = iter(queries)
    elif interactive:
        lines = _prompt_lines()
    else:
        lines = _piped_lines(stdin)
    failed = 0
    for number, line in enumerate(lines, start=1):
        _check_utf8(line, number)
        if not answer(prober, line, style, top_k, out, errors_to_stderr=not interactive):
            failed += 1
    if queries is not None and failed:
        return 2
    return EXIT_QUERY_FAILED if failed and style != "seed" and not interactive else 0


def answer(
    prober, text: str, style: str, top_k: int, out: TextIO, errors_to_stderr: bool = False
) -> bool:
    """Print the answer to one query, or its problem in one line; False on a bad query."""
    text = text.strip()
    try:
        found = prober.ask(text, top_k)
    except QueryError as exc:
        if style == "json":
            print(json.dumps({"query": text, "error": str(exc)}), file=out, flush=True)
        elif style == "seed":
            print(f"({exc})\n", file=out, flush=True)
        else:
            print(f"error: {exc}", file=sys.stderr if errors_to_stderr else out, flush=True)
        return False
    if style == "json":
        print(json.dumps({**found.to_json(), "query": text}), file=out, flush=True)
    elif style == "seed":
        print(format_seed(found, top_k), file=out, flush=True)
    else:
        print(format_text(found), file=out, flush=True)
    return True


def format_text(found) -> str:
    """The phrase as encoded, one row per answer (best first), the nearest words, notes. Only
    directions are compared, so the L2 shown is between unit vectors (0…2), never raw."""
    from tofy_core.probe.query import display_phrase

    lines = [display_phrase(found.tokens, found.mask_index)]
    prior = any(r.cosine_rank is not None for r in found.results)
    if found.results:
        width = max(6, *(len(r.answer) for r in found.results))
        rank_width = len(f"{found.words:,}") * 2 + 1
        head = f"  {'answer':<{width}}  {'cosine':>7}  {'L2 unit':>7}  {'rank':>{rank_width}}  "
        lines.append(head + f"{'pct':>5}" + (f"  {'cos rank':>8}" if prior else ""))
        for r in found.results:
            rank = f"{r.rank:,}/{r.words:,}"
            by_cosine = "" if r.cosine_rank is None else f"  {r.cosine_rank:>8,}"
            lines.append(
                f"  {r.answer:<{width}}  {r.cosine:>7.4f}  {r.l2_unit:>7.4f}  "
                f"{rank:>{rank_width}}  {r.percentile:>5.1f}{by_cosine}"
            )
    nearest = ", ".join(f"{word} {cos:.3f}" for word, cos in found.neighbors)
    lines.append(f"  {'guesses' if found.is_guess else 'nearest'}: {nearest}")
    if prior:
        lines.append(
            "  rank: by cosine + the word's learned prior (how likely the word is anywhere), "
            "as the model guesses; cos rank: by the cosine alone"
        )
    lines.extend(f"  note: {note}" for note in found.notes())
    return "\n".join(lines) + "\n"


def format_seed(found, top_k: int) -> str:
    """The seed's two lines (and its blank line) per answer; its nearest line alone for a
    query without an answer."""
    words = ", ".join(word for word, _ in found.neighbors)
    blocks = []
    for r in found.results:
        blocks.append(
            f"  L2 (unit): {r.l2_unit:.4f}  cosine: {r.cosine:.4f}  (1.0 = perfect alignment)\n"
            f'  Top-{top_k} nearest: {words}  (your answer "{r.answer}" rank: '
            f"{r.rank}/{r.words} cos: {r.cosine:.4f})\n"
        )
    if not found.results:
        blocks.append(f"  Top-{top_k} nearest: {words}\n")
    blocks.extend(f"  ({unknown.message()})\n" for unknown in found.unknown_answers)
    return "\n".join(blocks)


def _seed_header(prober, out: TextIO) -> None:
    c = prober.config
    embed = c.effective_vocab * c.dim
    predictor = 2 * (c.dim * c.dim + c.dim)
    blocks = c.parameter_count() - embed - predictor
    print(
        f"Model: ~{format_count(c.parameter_count())} [embed {format_count(embed)} + "
        f"blocks {format_count(blocks)} + predictor {format_count(predictor)}]",
        file=out,
    )
    print("Inference (latent diff): phrase _ more => answer (empty line to quit)\n", file=out)


def _check_utf8(line: str, number: int) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: refuse them, instead of
    scoring them as unknown words."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise TofyError(
            f"the input is not UTF-8 text (line {number}): save the queries as UTF-8"
        ) from None


def _piped_lines(stdin: TextIO) -> Iterator[str]:
    """Lines until an empty one or the end; read one at a time so a coprocess gets answers."""
    for line in iter(stdin.readline, ""):
        if not line.strip():
            return
        yield line


def _prompt_lines() -> Iterator[str]:
    """Lines typed at a readline prompt with history kept under the data folder."""
    history = _open_history()
    try:
        while True:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if not line.strip():
                return
            yield line
    finally:
        _save_history(history)


def _open_history():
    try:
        import readline
    except ImportError:  # Windows without pyreadline: a plain prompt
        return None
    path = paths.data_dir() / HISTORY_FILE
    readline.set_history_length(HISTORY_LENGTH)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    return path


def _save_history(path) -> None:
    if path is None:
        return
    import readline

    with contextlib.suppress(OSError):
        readline.write_history_file(path)
