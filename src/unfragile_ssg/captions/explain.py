"""Explaining generated tokens: one heatmap over the image positions per token.

Each method takes BLIP's text decoder and one teacher-forced batch of finished sequences and
returns ``(N, S, 1 + P)`` maps: row ``j`` explains token ``j + 1`` (the token predicted at
position ``j``), over the vision CLS token and the ``P`` patches. The caller drops the last row
(it explains nothing) and the CLS column, and folds the rest into the patch grid.

Imported only by ``captions.model`` when a caption is computed (it needs torch).

Methods (the name is the ``captions.heatmap`` setting):

- ``attention``: raw cross-attention, mean over heads and layers. The cheap baseline.
- ``gradcam``: relu(gradient x cross-attention) of the last decoder layer, mean over heads, the
  gradient of each token's log-probability (the LAVIS ``compute_gradcam`` recipe). Nothing mixes
  positions after the last layer, so one backward pass of the summed log-probabilities gives
  every row its own token's gradient.
- ``gradcam-layers``: the same, summed over every decoder layer. Earlier layers' rows reach
  later tokens through self-attention, so each token needs its own gradients: one batched
  backward pass (``is_grads_batched``) with one output per token, through the decoder only.
- ``relevance``: relevance propagation across the decoder's layers (Chefer, Gur and Wolf 2021,
  "Generic Attention-model Explainability for Interpreting Bi-Modal and Encoder-Decoder
  Transformers", rules 6-11): starting from the identity over text positions and nothing on
  the image, every self-attention layer mixes the relevance of the positions it attends to,
  and every cross-attention layer adds its gradient-weighted attention seen through the text
  relevance so far. The image side is taken as is (no propagation into the vision encoder),
  so it costs what ``gradcam-layers`` costs.
"""

from __future__ import annotations

METHODS = ("attention", "gradcam", "gradcam-layers", "relevance")


def explain(method: str, decoder, sequences, mask, image_embeds, image_mask, *, cache=None):
    """``(N, S, 1 + P)`` float32 maps on the sequences' device; see the module's notes.

    ``decoder``'s attention runs fused (``captions.attention``) except where a method reads
    it. ``attention`` and ``gradcam`` read only what they need and may reuse the image's
    cross-attention keys and values from ``cache``; the per-token methods read every layer
    inside one graph built from the word embeddings, so ``cache`` is not used there.
    """
    import torch

    from . import attention

    if method not in METHODS:
        raise ValueError(f"unknown heatmap method {method!r}")
    cross = attention.cross_attention_modules(decoder)
    inputs = dict(attention_mask=mask, encoder_hidden_states=image_embeds, encoder_attention_mask=image_mask,
                  use_cache=False, return_dict=True)
    if method == "attention":
        if cache is not None:
            inputs.update(use_cache=True, cache=cache)
        with torch.no_grad(), attention.reading(cross) as read:
            decoder(input_ids=sequences, **inputs)
            return torch.stack([module.probabilities for module in read]).float().mean(dim=(0, 2))
    if method == "gradcam":
        if cache is not None:
            inputs.update(use_cache=True, cache=cache)
        # Only the explained layer's probabilities require a gradient: the layers below run
        # without a graph, and the backward pass stops at that layer.
        with torch.enable_grad(), attention.reading(cross[-1:], gradient=True) as (last,):
            out = decoder(input_ids=sequences, **inputs)
            (grad,) = torch.autograd.grad(_picked(out, sequences, mask).sum(), last.probabilities)
            return _weighted(grad, last.probabilities)
    selfs = attention.self_attention_modules(decoder) if method == "relevance" else []
    with torch.enable_grad(), attention.reading([*cross, *selfs]):
        words = decoder.bert.embeddings.word_embeddings(sequences).detach().requires_grad_(True)
        out = decoder(inputs_embeds=words.clone(), **inputs)
        picked = _picked(out, sequences, mask)  # (N, S-1)
        cross_p = tuple(module.probabilities for module in cross)
        if method == "gradcam-layers":
            grads = _per_token_grads(picked, cross_p)  # each (S-1, N, heads, S, K)
            return sum(_rows_of_own_token(_weighted(g, a), picked.shape[1]) for g, a in zip(grads, cross_p))
        self_p = tuple(module.probabilities for module in selfs)
        grads = _per_token_grads(picked, (*cross_p, *self_p))
    layers = len(cross_p)
    return _relevance(cross_p, grads[:layers], self_p, grads[layers:], picked.shape[1])


def _picked(out, sequences, mask):
    """Each next token's log-probability, zero past the sequence's end: ``(N, S-1)``."""
    logp = out.logits[:, :-1].float().log_softmax(-1)
    return logp.gather(-1, sequences[:, 1:, None]).squeeze(-1) * mask[:, 1:]


def _per_token_grads(picked, tensors):
    """For every token t, the gradient of its log-probability (summed over the batch) with
    respect to each of ``tensors``: one batched backward pass. Returns a tuple of
    ``(T, *tensor.shape)``."""
    import torch

    n, t = picked.shape
    one_hot = torch.eye(t, dtype=picked.dtype, device=picked.device)[:, None, :].expand(t, n, t)
    return torch.autograd.grad(picked, tensors, grad_outputs=one_hot, is_grads_batched=True)


def _weighted(grad, attention):
    """relu(gradient x attention), mean over heads: ``(..., S, K)``."""
    return (grad * attention).clamp(min=0).float().mean(dim=-3).detach()


def _rows_of_own_token(maps, tokens: int):
    """``maps`` is ``(T, N, S, K)``, one map set per target token: keep, for every row j < T,
    the map taken with token j+1 as the target; the last row (no target) is zeros."""
    import torch

    t, n, s, k = maps.shape
    index = torch.arange(tokens, device=maps.device)
    own = maps[index, :, index, :].transpose(0, 1)  # (N, T, K)
    return torch.cat([own, own.new_zeros((n, s - tokens, k))], dim=1)


def _relevance(cross, cross_grads, selfs, self_grads, tokens: int):
    """Chefer et al.'s rules for a decoder that self-attends over text and cross-attends to the
    image, per target token: R_tt = I, R_ti = 0; per layer, self-attention
    R_tt += A_tt R_tt, R_ti += A_tt R_ti; then cross-attention R_ti += norm(R_tt) A_ti, where
    A = mean over heads of relu(grad x attention) and norm(R) = I + (R - I) with rows scaled to
    sum to 1. The target's own row of R_ti is its map."""
    import torch

    t = tokens
    n, _, s, k = cross[0].shape
    eye = torch.eye(s, device=cross[0].device)
    r_tt = eye.expand(t, n, s, s).clone()
    r_ti = cross[0].new_zeros((t, n, s, k)).float()
    for a_self, g_self, a_cross, g_cross in zip(selfs, self_grads, cross, cross_grads):
        a_tt = _weighted(g_self, a_self)  # (T, N, S, S)
        r_tt = r_tt + a_tt @ r_tt
        r_ti = r_ti + a_tt @ r_ti
        a_ti = _weighted(g_cross, a_cross)  # (T, N, S, K)
        r_ti = r_ti + _normalised(r_tt, eye) @ a_ti
    index = torch.arange(t, device=r_ti.device)
    own = r_ti[index, :, index, :].transpose(0, 1)
    return torch.cat([own, own.new_zeros((n, s - t, k))], dim=1)


def _normalised(r, eye):
    """I + (R - I) with each row scaled to sum to 1 (a row of zeros stays zeros)."""
    extra = r - eye
    total = extra.sum(dim=-1, keepdim=True)
    return eye + extra / total.where(total > 0, total.new_ones(()))
