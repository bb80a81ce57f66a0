"""MiniLM sentence embeddings: the right shape, unit length, and meaning-aware neighbours; computed by
onnxruntime on the model exported from torch's, with torch's vectors."""

from __future__ import annotations

import numpy as np
from django.conf import settings

from videos.models import TEXT_EMBEDDING_DIM
from videos.text_embedding.encoder import OnnxMiniLM, TorchMiniLM, load_onnx_model, load_sentence_transformer
from videos.text_embedding.model import embed_query, embed_texts, text_model
from videos.text_embedding.onnx_export import exported_minilm_file, exported_minilm_path


def test_each_text_gets_one_unit_length_float32_row_in_order():
    texts = ["The cat sat on the mat.", "Quarterly revenue grew by ten percent.", "Hello!"]

    vectors = embed_texts(texts, batch_size=2)

    assert vectors.shape == (3, TEXT_EMBEDDING_DIM) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Order is kept (batching across two batches must not shuffle rows).
    np.testing.assert_allclose(vectors[1], embed_texts([texts[1]])[0], atol=1e-5)


def test_no_texts_give_an_empty_matrix_of_the_right_width():
    vectors = embed_texts([])
    assert vectors.shape == (0, TEXT_EMBEDDING_DIM)
    assert vectors.dtype == np.float32


def test_a_query_is_one_vector_matching_its_text_embedding():
    query = embed_query("how to bake bread")
    assert query.shape == (TEXT_EMBEDDING_DIM,)
    np.testing.assert_allclose(query, embed_texts(["how to bake bread"])[0], atol=1e-5)


def test_sentences_with_the_same_meaning_rank_above_unrelated_ones():
    query = embed_query("How do I bake a loaf of bread at home?")
    candidates = [
        "The stock market fell sharply after the interest rate announcement.",
        "Knead the dough, let it rise, then put it in a hot oven for forty minutes.",
        "The striker scored twice in the second half of the match.",
        "Our galaxy contains hundreds of billions of stars.",
    ]

    scores = embed_texts(candidates) @ query

    assert int(np.argmax(scores)) == 1
    assert scores[1] > max(np.delete(scores, 1)) + 0.15


def test_paraphrases_are_closer_than_word_overlap_without_meaning():
    first, paraphrase, same_words = embed_texts(
        [
            "The car would not start this morning.",
            "My automobile failed to turn on today.",
            "This morning the start of the car race was moved.",
        ]
    )
    assert float(first @ paraphrase) > float(first @ same_words)


def test_the_model_is_loaded_once_per_process():
    assert text_model() is text_model()


def test_onnxruntime_gives_the_vectors_torch_gives_for_texts_short_long_and_empty() -> None:
    texts = [
        "How hot should the oven be?",
        "Twenty five degrees, then 25 minutes: café, naïve, ÉCOLE.",
        " ".join(["Knead the dough and let it rise in a warm place until doubled."] * 30),  # past 256 pieces
        "",
        "Hello!",
    ]

    on_onnxruntime = embed_texts(texts, batch_size=2)  # the default engine, batches of mixed lengths
    on_torch = TorchMiniLM(load_sentence_transformer()).encode(texts, batch_size=32)

    assert settings.TEXT_EMBEDDING_ENGINE == "onnx"
    assert np.sum(on_onnxruntime * on_torch, axis=1).min() > 0.99999


def test_the_model_is_exported_once_whole_and_then_reused(settings, tmp_path) -> None:
    settings.TEXT_MODEL_CACHE_DIR = tmp_path

    exported = exported_minilm_path()
    written = exported.stat().st_mtime_ns

    assert [path.suffix for path in tmp_path.iterdir() if path.suffix != ".lock"] == [".onnx"]  # no part left
    assert exported_minilm_path() == exported
    assert exported.stat().st_mtime_ns == written  # found, not exported again
    reloaded = OnnxMiniLM(exported, threads=1).encode(["sourdough starter"], batch_size=1)
    np.testing.assert_allclose(reloaded[0], embed_texts(["sourdough starter"])[0], atol=1e-5)


def test_an_exported_file_that_does_not_load_is_exported_again(settings, tmp_path) -> None:
    settings.TEXT_MODEL_CACHE_DIR = tmp_path
    damaged = exported_minilm_file()
    damaged.write_bytes(b"\x08\x07half an onnx file")  # as a disk error or a copy cut short would leave it

    model = load_onnx_model()

    vector = model.encode(["sourdough starter"], batch_size=1)[0]
    np.testing.assert_allclose(vector, embed_texts(["sourdough starter"])[0], atol=1e-5)
    assert damaged.stat().st_size > 80_000_000  # the whole model now
