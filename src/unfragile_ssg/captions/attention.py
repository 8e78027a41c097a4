"""Fused attention (torch's scaled_dot_product_attention) for BLIP, eager only where it is read.

transformers' BLIP has a single attention implementation, written out as matmul, softmax,
matmul, and it always materialises the attention probabilities. Captioning reads them in one
place only: the explaining pass (one layer's cross-attention for ``gradcam``, every layer's for
``attention``). ``use_fused_attention`` switches a loaded model's attention modules to the
fused kernel; ``reading`` turns chosen modules back to the written-out form for the duration of
one pass and hands over what they computed.

For ``gradcam`` the probabilities are made the only tensor that requires a gradient, inside the
explained layer: everything before it runs without building a graph, and the backward pass
stops there instead of going on through every layer below to the word embeddings.

Image keys and values: every decoder layer's cross-attention projects the same image
embeddings to keys and values, a sixth of the vision tower's work again. ``image_keys_values``
computes them once per image; ``SharedImageCache`` hands them to generation (all beams of an
image share one copy's rows, never reordered: they are the same for every beam) and to the
explaining pass, which would otherwise compute them a second time.

Imports torch and transformers: call only from ``captions.model``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
from torch.nn import functional
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.models.blip.modeling_blip import BlipAttention
from transformers.models.blip.modeling_blip_text import BlipTextSelfAttention


class FusedVisionAttention(BlipAttention):
    """The vision tower's attention through the fused kernel (no mask, no probabilities kept)."""

    def forward(self, hidden_states: torch.Tensor, **kwargs) -> tuple[torch.Tensor, None]:
        batch, length, width = hidden_states.shape
        qkv = self.qkv(hidden_states).reshape(batch, length, 3, self.num_heads, width // self.num_heads).permute(2, 0, 3, 1, 4)
        context = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], scale=self.scale)
        return self.projection(context.transpose(1, 2).reshape(batch, length, width)), None


class FusedTextAttention(BlipTextSelfAttention):
    """The text decoder's self- and cross-attention, fused unless ``read`` is set.

    With ``read`` the probabilities are computed written out and kept in ``probabilities``;
    with ``read_gradient`` as well they become a leaf that requires a gradient, so that
    ``torch.autograd.grad`` can reach them and nothing below them.
    """

    read = False
    read_gradient = False
    probabilities: torch.Tensor | None = None

    def forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                cache=None, past_key_values=None, **kwargs):
        cache = cache if cache is not None else past_key_values
        shape = (*hidden_states.shape[:-1], -1, self.attention_head_size)
        query = self.query(hidden_states).view(shape).transpose(1, 2)
        cross = encoder_hidden_states is not None
        mask = encoder_attention_mask if cross else attention_mask
        key, value = self._keys_and_values(hidden_states, encoder_hidden_states, cache, kwargs)
        if mask is not None:
            mask = mask.to(query.dtype)
        if self.read:
            scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
            if mask is not None:
                scores = scores + mask
            probabilities = scores.softmax(dim=-1)
            if self.read_gradient:
                probabilities = probabilities.detach().requires_grad_(True)
            self.probabilities = probabilities
            context = torch.matmul(probabilities, value)
        else:
            context = functional.scaled_dot_product_attention(query, key, value, attn_mask=mask)
        context = context.transpose(1, 2).reshape(*hidden_states.shape[:-1], self.all_head_size)
        return context, None

    def _keys_and_values(self, hidden_states, encoder_hidden_states, cache, kwargs):
        """Keys and values as the written-out module computes them, through the same cache."""
        cross = encoder_hidden_states is not None
        layers = cache
        updated = False
        if cache is not None and isinstance(cache, EncoderDecoderCache):
            updated = bool(cache.is_updated.get(self.layer_idx))
            layers = cache.cross_attention_cache if cross else cache.self_attention_cache
        if cross and cache is not None and updated:
            return layers.layers[self.layer_idx].keys, layers.layers[self.layer_idx].values
        source = encoder_hidden_states if cross else hidden_states
        shape = (*source.shape[:-1], -1, self.attention_head_size)
        key = self.key(source).view(shape).transpose(1, 2)
        value = self.value(source).view(shape).transpose(1, 2)
        if cache is not None:
            key, value = layers.update(key, value, self.layer_idx, kwargs=kwargs)
            if cross and isinstance(cache, EncoderDecoderCache):
                cache.is_updated[self.layer_idx] = True
        return key, value


def use_fused_attention(model) -> None:
    """Switch every attention module of a loaded BLIP to the fused kernel, in place."""
    for module in model.modules():
        if type(module) is BlipAttention:
            module.__class__ = FusedVisionAttention
        elif type(module) is BlipTextSelfAttention:
            module.__class__ = FusedTextAttention


def cross_attention_modules(decoder) -> list[FusedTextAttention]:
    """The text decoder's cross-attention modules, first layer first."""
    return [layer.crossattention.self for layer in decoder.bert.encoder.layer]


def self_attention_modules(decoder) -> list[FusedTextAttention]:
    """The text decoder's self-attention modules, first layer first."""
    return [layer.attention.self for layer in decoder.bert.encoder.layer]


@contextmanager
def reading(modules: Sequence[FusedTextAttention], *, gradient: bool = False) -> Iterator[Sequence[FusedTextAttention]]:
    """Within the block, ``modules`` compute written out and keep their probabilities."""
    for module in modules:
        module.read, module.read_gradient, module.probabilities = True, gradient, None
    try:
        yield modules
    finally:
        for module in modules:
            module.read, module.read_gradient, module.probabilities = False, False, None


class SharedImageCache(EncoderDecoderCache):
    """A decoder cache whose cross-attention keys and values are filled in advance.

    Beam search reorders the cache after every step; the image's keys and values are the
    same for every beam of an image, so only the self-attention part is reordered.
    """

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self.self_attention_cache.reorder_cache(beam_idx)


def image_keys_values(decoder, image_embeds: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each decoder layer's cross-attention keys and values of ``image_embeds``, as its own
    projection computes them: ``(N, heads, positions, head size)`` each."""
    out = []
    for module in cross_attention_modules(decoder):
        shape = (*image_embeds.shape[:-1], -1, module.attention_head_size)
        out.append((module.key(image_embeds).view(shape).transpose(1, 2), module.value(image_embeds).view(shape).transpose(1, 2)))
    return out


def shared_image_cache(decoder, keys_values: list[tuple[torch.Tensor, torch.Tensor]], rows: slice, repeat: int = 1) -> SharedImageCache:
    """A cache holding the image keys and values of ``rows``, each repeated ``repeat`` times
    (once per beam) in the order generation expands its batch."""
    cross = DynamicCache(config=decoder.config)
    for layer, (key, value) in enumerate(keys_values):
        key, value = key[rows], value[rows]
        if repeat > 1:
            key, value = key.repeat_interleave(repeat, dim=0), value.repeat_interleave(repeat, dim=0)
        cross.update(key, value, layer)
    return SharedImageCache(DynamicCache(config=decoder.config), cross)
