#!/usr/bin/env python3
"""Independent reference for GPT-2's byte-level BPE encoding (openai/gpt-2 src/encoder.py, rewritten here).

  bpe_reference.py VOCAB_JSON MERGES_TXT TEXTS_JSON OUT_JSON
      Reads a GPT-2-format vocabulary and merge list, encodes each string of the JSON list TEXTS_JSON the way GPT-2's
      Encoder.encode does (regex pre-tokenizer, bytes_to_unicode, bpe() by merge rank) and writes the JSON list of id
      lists to OUT_JSON. Special tokens are ordinary text.

The pre-tokenizer pattern is GPT-2's
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
GPT-2 runs it with the third-party `regex` module, which Debian's python3 lacks; the standard `re` module has no
\\p{..}, so the classes are spelled out from unicodedata: \\p{L} = categories L*, \\p{N} = N*, and \\s = the Unicode
White_Space property (the `regex` module's \\s; `re`'s \\s would add U+001C..U+001F).

Prints "OK" on success.
"""
import json
import re
import sys
import unicodedata

WHITE_SPACE = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) + [
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000]


def char_class(codepoints):
    """A `re` character-class body matching exactly the given code points (as ranges)."""
    cps = sorted(codepoints)
    parts = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(esc(lo) if lo == hi else esc(lo) + "-" + esc(hi))
        i = j + 1
    return "".join(parts)


def esc(cp):
    return "\\U%08x" % cp


def gpt2_pattern():
    letters, numbers = [], []
    for cp in range(0x110000):
        cat = unicodedata.category(chr(cp))
        if cat[0] == "L":
            letters.append(cp)
        elif cat[0] == "N":
            numbers.append(cp)
    L = char_class(letters)
    N = char_class(numbers)
    S = char_class(WHITE_SPACE)
    return re.compile(
        "'s|'t|'re|'ve|'m|'ll|'d"
        "| ?[" + L + "]+"
        "| ?[" + N + "]+"
        "| ?[^" + S + L + N + "]+"
        "|[" + S + "]+(?![^" + S + "])"
        "|[" + S + "]+")


def bytes_to_unicode():
    """GPT-2's table: printable bytes stand for themselves, the rest map to 256, 257, ... in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def bpe(token, ranks):
    """GPT-2's loop: the lowest-rank pair, all its occurrences merged left to right, until none has a rank."""
    word = tuple(token)
    pairs = get_pairs(word)
    while pairs:
        bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        pairs = get_pairs(word)
    return word


def main():
    vocab_path, merges_path, texts_path, out_path = sys.argv[1:5]
    with open(vocab_path, encoding="utf-8") as f:
        encoder = json.load(f)
    with open(merges_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[0].startswith("#version"):
        lines = lines[1:]
    merges = [tuple(line.split(" ")) for line in lines if line]
    ranks = {m: r for r, m in enumerate(merges)}
    byte_encoder = bytes_to_unicode()
    pat = gpt2_pattern()
    with open(texts_path, encoding="utf-8") as f:
        texts = json.load(f)
    out = []
    for text in texts:
        ids = []
        for piece in pat.findall(text):
            token = "".join(byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(encoder[t] for t in bpe(token, ranks))
        out.append(ids)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print("OK")


if __name__ == "__main__":
    main()
