"""Tokenizer, phrase reading and the vocabulary file: the seed's rules, Unicode-aware."""

import unicodedata
from pathlib import Path

import pytest

from tofy_core.data.text import context_side, default_corpus_path, load_corpus, tokenize
from tofy_core.data.vocab import Vocab
from tofy_core.errors import CheckpointError, DataError


def test_tokenizer_splits_words_apostrophes_and_punctuation():
    assert tokenize("So, how have you _ lately? Don't!") == [
        "so",
        ",",
        "how",
        "have",
        "you",
        "_",
        "lately",
        "?",
        "don't",
        "!",
    ]


def test_tokenizer_is_unicode_aware_and_can_keep_case():
    assert tokenize("Café naïve Ünïcode", lowercase=False) == ["Café", "naïve", "Ünïcode"]
    assert tokenize("3.5km") == ["3", ".", "5km"]


@pytest.mark.parametrize(
    ("text", "lowered", "kept"),
    [
        (
            "it's 3.5km -- e-mail me@x.com at 10:30pm",
            "it's 3 . 5km - - e - mail me @ x . com at 10 : 30pm",
            "it's 3 . 5km - - e - mail me @ x . com at 10 : 30pm",
        ),
        (
            "snake_case __init__ foo_bar2 _x_",
            "snake _ case _ _ init _ _ foo _ bar2 _ x _",
            "snake _ case _ _ init _ _ foo _ bar2 _ x _",
        ),
        ("rock'n'roll 'quoted' ''", "rock'n'roll 'quoted' ''", "rock'n'roll 'quoted' ''"),
        (
            "A+B=C; (x) [MASK] {y} #tag ~/path\\to",
            "a + b = c ; ( x ) [ mask ] { y } # tag ~ / path \\ to",
            "A + B = C ; ( x ) [ MASK ] { y } # tag ~ / path \\ to",
        ),
        ("50% off $9.99!!! ...", "50 % off $ 9 . 99 ! ! ! . . .", "50 % off $ 9 . 99 ! ! ! . . ."),
        ("  Spaces\ttabs\nNew  ", "spaces tabs new", "Spaces tabs New"),
    ],
)
def test_ascii_text_splits_exactly_as_the_seed_rule_did(text, lowered, kept):
    assert tokenize(text) == lowered.split(" ")
    assert tokenize(text, lowercase=False) == kept.split(" ")


def test_combining_marks_stay_inside_words_and_text_is_nfc():
    assert tokenize("नमस्ते दुनिया, कैसे हो?") == ["नमस्ते", "दुनिया", ",", "कैसे", "हो", "?"]
    decomposed = unicodedata.normalize("NFD", "Café au lait")
    assert decomposed != "Café au lait"  # the accent is its own code point here
    assert tokenize(decomposed) == ["café", "au", "lait"]
    assert tokenize(decomposed)[0] == unicodedata.normalize("NFC", "café")
    assert tokenize(decomposed, lowercase=False) == tokenize("Café au lait", lowercase=False)
    # a mark joins the word it touches, never punctuation or the word after a space
    assert tokenize("x\u0301! y") == ["x\u0301", "!", "y"]
    assert tokenize("l’été — déjà") == ["l’été", "—", "déjà"]


def test_context_side_uses_left_of_tab_or_triple_bar():
    assert context_side("hello there\tgeneral kenobi") == "hello there"
    assert context_side("left side|||right side") == "left side"
    assert context_side("no separator") == "no separator"


def test_load_corpus_skips_short_and_blank_lines(tmp_path: Path):
    path = tmp_path / "d.txt"
    path.write_text("one\n\nhello world\tignored reply\nthree words here\n", encoding="utf-8")
    corpus = load_corpus(str(path))
    assert corpus.phrases == [["hello", "world"], ["three", "words", "here"]]
    assert corpus.skipped == 1


def test_binary_and_non_utf8_lines_are_named(tmp_path: Path):
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"good line here\nbad \x00 line\n")
    with pytest.raises(DataError, match="line 2 holds binary"):
        load_corpus(str(binary))
    latin = tmp_path / "l.txt"
    latin.write_bytes(b"fine text\nstill fine\ncaf\xe9 au lait\n")
    with pytest.raises(DataError, match="line 3 is not valid UTF-8"):
        load_corpus(str(latin))


def test_missing_and_unusable_files_are_clear(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist"):
        load_corpus(str(tmp_path / "nope.txt"))
    empty = tmp_path / "e.txt"
    empty.write_text("a\n\nb\n", encoding="utf-8")
    with pytest.raises(DataError, match="no usable line"):
        load_corpus(str(empty))


def test_default_corpus_is_embedded_and_large_enough():
    corpus = load_corpus("")
    assert default_corpus_path().is_file()
    assert len({" ".join(p) for p in corpus.phrases}) >= 3000
    assert len({w for p in corpus.phrases for w in p}) >= 1000


def test_vocab_order_caps_and_round_trip(tmp_path: Path):
    phrases = [["b", "a", "c"], ["a", "b"], ["a", "d"]]
    vocab = Vocab.build(phrases, max_vocab=6)
    assert vocab.tokens == ["<pad>", "<unk>", "<mask>", "a", "b", "c"]  # ties by text
    assert vocab.encode(["a", "zzz"]) == [3, 1]
    path = tmp_path / "vocab.txt"
    vocab.save(path)
    assert path.read_text(encoding="utf-8").splitlines()[3] == "a"  # line number = id
    loaded = Vocab.load(path)
    assert loaded.tokens == vocab.tokens and loaded.digest() == vocab.digest()


def test_foreign_vocab_file_is_refused(tmp_path: Path):
    path = tmp_path / "v.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(CheckpointError, match="must start with"):
        Vocab.load(path)
