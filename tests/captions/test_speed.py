"""The fast paths of the captioner give the results of the plain, written-out computation.

The reference here is transformers' own BLIP (its only attention implementation, which
materialises every probability), generating without any shared cache, and the heatmap's
gradient taken the long way: backpropagated through every decoder layer to the word
embeddings, as before the explained layer became the only one that requires a gradient.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from unfragile_ssg.captions import attention  # noqa: E402
from unfragile_ssg.captions.model import Decoding, ModelUnavailable, default_threads, load_captioner, resolve_model  # noqa: E402
from unfragile_ssg.captions.step import caption_entries  # noqa: E402

GREEDY = Decoding("greedy", 1, 0.9, 0, 8, 3, None)
BEAM = Decoding("beam", 3, 0.9, 0, 8, 3, None)


@pytest.fixture(scope="module")
def captioner(tiny_model):
    return load_captioner(resolve_model(str(tiny_model), None, tiny_model), "cpu")


@pytest.fixture(scope="module")
def reference(tiny_model):
    from transformers import BlipForConditionalGeneration

    model = BlipForConditionalGeneration.from_pretrained(tiny_model, attn_implementation="eager", dtype=torch.float32)
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def images(photos):
    return [Image.open(io.BytesIO(data)).convert("RGB") for data in photos.values()]


def reference_captions(captioner, model, images, decoding: Decoding, method: str):
    """Captions and maps computed the plain way: one image at a time, no shared cache."""
    out = []
    for image in images:
        pixels = captioner.image_processor(images=[image], return_tensors="pt")["pixel_values"]
        embeds = model.vision_model(pixel_values=pixels)[0]
        ids = torch.tensor([captioner._prompt_ids(decoding.prompt)])
        image_mask = torch.ones(embeds.shape[:-1], dtype=torch.long)
        sequence = model.text_decoder.generate(input_ids=ids, attention_mask=torch.ones_like(ids), encoder_hidden_states=embeds,
                                               encoder_attention_mask=image_mask, generation_config=captioner._generation_config(decoding))
        row = sequence[0].tolist()
        end = row.index(captioner.eos, 1) if captioner.eos in row[1:] else len(row)
        sequence = sequence[:, : end + 1]
        mask = torch.ones_like(sequence)
        decoder = model.text_decoder
        if method == "attention":
            result = decoder(input_ids=sequence, attention_mask=mask, encoder_hidden_states=embeds, encoder_attention_mask=image_mask,
                             output_attentions=True, use_cache=False, return_dict=True)
            maps = torch.stack(tuple(result.cross_attentions)).mean(dim=(0, 2))
        else:
            with torch.enable_grad():
                words = decoder.bert.embeddings.word_embeddings(sequence).detach().requires_grad_(True)
                result = decoder(inputs_embeds=words.clone(), attention_mask=mask, encoder_hidden_states=embeds,
                                 encoder_attention_mask=image_mask, output_attentions=True, use_cache=False, return_dict=True)
                last = result.cross_attentions[-1]
                last.retain_grad()
                logp = result.logits[:, :-1].log_softmax(-1)
                logp.gather(-1, sequence[:, 1:, None]).sum().backward()
                assert words.grad is not None  # this path does reach the embeddings
                maps = (last.grad * last).clamp(min=0).mean(dim=1)
        rows, cols = captioner.grid
        maps = maps.detach()[0, :-1, 1:].reshape(-1, rows, cols)[: end - 1].numpy()
        out.append((row[1:end], maps))
    return out


@pytest.mark.parametrize("decoding", [GREEDY, BEAM], ids=["greedy", "beam3"])
@pytest.mark.parametrize("method", ["gradcam", "attention"])
def test_same_captions_and_maps_as_the_plain_computation(captioner, reference, images, decoding, method):
    ours = captioner.caption(images, decoding, method)
    plain = reference_captions(captioner, reference, images, decoding, method)
    for raw, (ids, maps) in zip(ours, plain):
        assert raw.token_ids == ids
        assert raw.maps.shape == maps.shape and maps.size > 0
        np.testing.assert_allclose(raw.maps, maps, rtol=1e-4, atol=1e-7 * float(np.abs(maps).max()))


def test_the_gradient_stops_at_the_explained_layer(captioner, images):
    """Below the last decoder layer nothing builds a graph; the explained layer's does."""
    decoder = captioner.model.text_decoder
    layers = decoder.bert.encoder.layer
    seen = {}
    hooks = [layer.register_forward_hook(lambda module, args, output, i=i: seen.__setitem__(i, output.requires_grad))
             for i, layer in enumerate(layers)]
    try:
        captioner.caption(images[:1], GREEDY, "gradcam")
    finally:
        for hook in hooks:
            hook.remove()
    assert seen == {**{i: False for i in range(len(layers) - 1)}, len(layers) - 1: True}


def test_the_vision_tower_gives_the_same_bits_whatever_the_batch(captioner, images):
    together = captioner.embed(images)
    for i, image in enumerate(images):
        assert torch.equal(together[i], captioner.embed([image])[0])
    assert torch.equal(together[1:], captioner.embed(images[1:]))


def test_batched_captions_equal_one_by_one(captioner, images):
    for decoding in (GREEDY, BEAM):
        together = captioner.caption(images, decoding, "gradcam")
        alone = [captioner.caption([image], decoding, "gradcam")[0] for image in images]
        for a, b in zip(together, alone):
            assert a.token_ids == b.token_ids
            np.testing.assert_allclose(a.maps, b.maps, rtol=1e-5, atol=1e-9)


def test_attention_is_fused_everywhere_but_where_it_is_read(captioner):
    kinds = {type(m).__name__ for m in captioner.model.modules() if "Attention" in type(m).__name__ and hasattr(m, "forward")}
    assert {"FusedVisionAttention", "FusedTextAttention"} <= kinds
    assert "BlipAttention" not in kinds and "BlipTextSelfAttention" not in kinds
    assert not any(m.read for m in attention.cross_attention_modules(captioner.model.text_decoder))


def test_threads_default_to_the_cores_this_process_may_use(tiny_model, monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
        assert default_threads() == 1
        load_captioner(resolve_model(str(tiny_model), None, tiny_model), "cpu")
        assert torch.get_num_threads() == 1
        load_captioner(resolve_model(str(tiny_model), None, tiny_model), "cpu", threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_lower_precision_captions_with_maps(tiny_model, images, precision):
    before = torch.get_num_threads()
    low = load_captioner(resolve_model(str(tiny_model), None, tiny_model), "cpu", precision=precision)
    torch.set_num_threads(before)
    expected = {"bf16": torch.bfloat16, "int8": torch.float32}[precision]
    assert next(low.model.text_decoder.parameters()).dtype == expected
    if precision == "int8":
        from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

        vision = list(low.model.vision_model.modules())
        assert any(isinstance(m, QuantizedLinear) for m in vision)
        assert not any(type(m) is torch.nn.Linear for m in vision)
        assert type(low.model.text_decoder.cls.predictions.decoder) is torch.nn.Linear  # the gradient crosses it
    for raw in low.caption(images, GREEDY, "gradcam"):
        assert raw.token_ids and raw.maps.dtype == np.float32 and raw.maps.shape[0] == len(raw.token_ids)
        assert np.isfinite(raw.maps).all() and raw.maps.max() > 0


def test_an_unknown_precision_is_refused(tiny_model):
    ref = resolve_model(str(tiny_model), None, tiny_model)
    with pytest.raises(ModelUnavailable, match="captions.precision is 'fp16': use one of fp32, bf16, int8"):
        load_captioner(ref, "cpu", precision="fp16")


def test_precision_is_part_of_the_store_key(make_site):
    project, entries = make_site(folder="fp32")
    full = caption_entries(project, entries)
    project, entries = make_site(folder="bf16", precision="bf16")
    low = caption_entries(project, entries)
    assert low.warnings == [] and low.computed == full.computed == 3
    full_keys = {v.key for v in full.samples["tiny-captioner"]}
    low_views = low.samples["tiny-captioner"]
    assert full_keys.isdisjoint(v.key for v in low_views)
    assert all(v.captioned and v.model.endswith(", bf16") for v in low_views)


@pytest.mark.slow
def test_blip_base_vision_tower_gives_the_same_bits_whatever_the_batch():
    """At the real shapes (577 positions, width 768), where matmul blocking could differ by batch."""
    from transformers import BlipVisionModel

    from unfragile_ssg.captions.testing import blip_base_config

    torch.manual_seed(0)
    vision = BlipVisionModel(blip_base_config().vision_config).eval().requires_grad_(False)
    attention.use_fused_attention(vision)
    pixels = torch.randn(3, 3, 384, 384)
    with torch.no_grad():
        together = vision(pixel_values=pixels)[0]
        for i in range(3):
            assert torch.equal(together[i], vision(pixel_values=pixels[i : i + 1])[0][0])
