"""The heatmap methods on the tiny random-weight BLIP: each explains the token its row names."""

from __future__ import annotations

import numpy as np
import pytest

from unfragile_ssg.captions import explain as ex


@pytest.fixture(scope="module")
def decoded(tiny_model, photos):
    """The tiny model's decoder (as the captioner runs it: fused attention) and one finished,
    teacher-forced sequence of its caption."""
    torch = pytest.importorskip("torch")
    from io import BytesIO

    from PIL import Image

    from unfragile_ssg.captions.model import Decoding, load_captioner, resolve_model

    captioner = load_captioner(resolve_model(str(tiny_model), None, tiny_model.parent), "cpu")
    image = Image.open(BytesIO(photos["cat.jpg"])).convert("RGB")
    pixels = captioner.image_processor(images=[image], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        embeds = captioner.model.vision_model(pixel_values=pixels)[0]
    decoding = Decoding("greedy", 1, 0.9, 0, 6, 6, None)
    ids = torch.tensor([[captioner.bos]])
    with torch.no_grad():
        sequences = captioner.model.text_decoder.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), encoder_hidden_states=embeds,
            encoder_attention_mask=torch.ones(embeds.shape[:-1], dtype=torch.long),
            generation_config=captioner._generation_config(decoding))
    mask = torch.ones_like(sequences)
    image_mask = torch.ones(embeds.shape[:-1], dtype=torch.long)
    return captioner.model.text_decoder, sequences, mask, embeds, image_mask


@pytest.fixture(scope="module")
def plain_decoder(tiny_model):
    """The same weights as transformers runs them, written-out attention returned by the model."""
    torch = pytest.importorskip("torch")
    from transformers import BlipForConditionalGeneration

    model = BlipForConditionalGeneration.from_pretrained(tiny_model, attn_implementation="eager", dtype=torch.float32)
    return model.eval().text_decoder


def one_token_gradcam(decoded, plain_decoder, token: int, layer: int):
    """relu(grad x attention) of one layer, mean over heads, from a backward pass of one
    token's log-probability alone through transformers' own decoder: the definition, without
    the batched shortcut or the fused attention."""
    import torch

    _, sequences, mask, embeds, image_mask = decoded
    decoder = plain_decoder
    with torch.enable_grad():
        words = decoder.bert.embeddings.word_embeddings(sequences).detach().requires_grad_(True)
        out = decoder(inputs_embeds=words.clone(), attention_mask=mask, encoder_hidden_states=embeds,
                      encoder_attention_mask=image_mask, output_attentions=True, use_cache=False, return_dict=True)
        logp = out.logits[:, :-1].float().log_softmax(-1)
        target = logp[0, token, sequences[0, token + 1]]
        attention = out.cross_attentions[layer]
        (grad,) = torch.autograd.grad(target, attention)
    return (grad * attention).clamp(min=0).mean(dim=1)[0, token].detach().numpy()


def test_every_method_gives_a_map_per_row(decoded):
    decoder, sequences, *_ = decoded
    for method in ex.METHODS:
        maps = ex.explain(method, *decoded).numpy()
        assert maps.shape == (1, sequences.shape[1], 1 + 16), method
        assert np.isfinite(maps).all() and (maps >= 0).all()
        assert maps[0, :-1].max(axis=-1).min() > 0, f"{method}: a row explains nothing"
    with pytest.raises(ValueError, match="unknown heatmap method"):
        ex.explain("occlusion", *decoded)


def test_layered_gradcam_is_the_sum_of_each_tokens_own_layer_maps(decoded, plain_decoder):
    """Row j of gradcam-layers is the sum over layers of the map from token j+1's own backward
    pass; row j of gradcam is the last layer's term."""
    decoder, sequences, *_ = decoded
    layers = decoder.config.num_hidden_layers
    layered = ex.explain("gradcam-layers", *decoded).numpy()[0]
    last = ex.explain("gradcam", *decoded).numpy()[0]
    for token in range(sequences.shape[1] - 1):
        terms = [one_token_gradcam(decoded, plain_decoder, token, layer) for layer in range(layers)]
        np.testing.assert_allclose(layered[token], sum(terms), rtol=1e-4, atol=1e-9)
        np.testing.assert_allclose(last[token], terms[-1], rtol=1e-4, atol=1e-9)
    assert not layered[-1].any(), "the last row explains no token"


def test_relevance_of_one_layer_is_its_gradcam(decoded):
    """With a single layer, R_ti = norm(I + A_tt) A_ti: its row j is token j+1's gradient-
    weighted cross-attention plus what the positions it self-attends to add; with self-
    attention weights set to zero it is exactly the layer's gradcam."""
    import torch

    decoder, sequences, *_ = decoded
    cross = [torch.rand(1, 2, 4, 5)]
    selfs = [torch.rand(1, 2, 4, 4)]
    cross_grads = [torch.rand(3, 1, 2, 4, 5) - 0.5]
    self_grads = [torch.zeros(3, 1, 2, 4, 4)]
    relevance = ex._relevance(cross, cross_grads, selfs, self_grads, 3)
    expected = ex._rows_of_own_token(ex._weighted(cross_grads[0], cross[0]), 3)
    torch.testing.assert_close(relevance, expected)
