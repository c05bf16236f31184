#!/usr/bin/env python3
"""Train the tiny BPE tokenizer of the fixtures (vocabulary 128, the fixtures'
embedding size) on the calibration texts, and write it as a Hugging Face
`tokenizer.json`. The tests tokenize prompts and calibration text with it;
the fixtures' weights are random, so only the ids matter, not their meaning.

    python importers/make_tokenizer.py fixtures/tokenizer.json

Needs the `tokenizers` package (0.23.3 made the committed file).
"""
import sys

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, decoders, trainers

VOCAB = 128
TEXTS = ["calibration/pride_and_prejudice_ch1.txt", "calibration/tale_of_two_cities_ch1.txt"]


def main(out):
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    # Lowercase and split on whitespace/punctuation: the alphabet of the texts
    # then fits in 128 ids with room for merges. Metaspace keeps word starts
    # in the tokens, so decoding restores the spaces.
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=["<unk>"],
                                  limit_alphabet=60, show_progress=False)
    tok.train(TEXTS, trainer)
    assert tok.get_vocab_size() <= VOCAB, tok.get_vocab_size()
    tok.save(out)
    enc = tok.encode("It is a truth universally acknowledged")
    print(f"{out}: vocabulary {tok.get_vocab_size()}; example ids {enc.ids}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures/tokenizer.json")
