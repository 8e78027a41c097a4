"""Random-weight BLIP captioners saved to a folder, for tests and the benchmark.

Real weights cannot be downloaded on the machines this project is built on, so tests build
a small BLIP with the real architecture's class (``BlipForConditionalGeneration``), save it
with ``save_pretrained`` together with its image processor and tokenizer, and load it back
through the same code as the real model (``captions.model.load_captioner``).

Imports torch and transformers: never import this module from the build itself.
"""

from __future__ import annotations

from pathlib import Path

# Special tokens at the positions the real BLIP tokenizer (BERT uncased + [DEC], [ENC]) uses.
_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"]
_WORDS = (
    "a an the of in on at with and two three man woman person people cat dog bird horse "
    "cup coffee table wooden white black red blue green yellow orange sitting standing "
    "flying rocket launch sky smoke space suit astronaut flag photo picture close up view "
    "is are there small large old young grass water field street building car train plate "
    "saucer spoon brown grey striped lying looking camera front next to top background "
    "night day light dark tall short , . ' s ##s ##ing ##ed ##er"
).split()


def tiny_vocab() -> list[str]:
    return _SPECIALS + [w for w in dict.fromkeys(_WORDS)]


def blip_base_config(**overrides):
    """A ``BlipConfig`` with the shapes of Salesforce/blip-image-captioning-base."""
    from transformers import BlipConfig

    text = dict(
        vocab_size=30524, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, encoder_hidden_size=768, max_position_embeddings=512,
        bos_token_id=30522, pad_token_id=0, sep_token_id=102, eos_token_id=2,
    )
    vision = dict(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        image_size=384, patch_size=16, initializer_range=0.02,
    )
    text.update(overrides.pop("text", {}))
    vision.update(overrides.pop("vision", {}))
    return BlipConfig(text_config=text, vision_config=vision, **overrides)


def tiny_config(image_size: int = 64, patch_size: int = 16, layers: int = 2, heads: int = 4, hidden: int = 32):
    """A few-thousand-parameter BLIP with the real structure and a real-word vocabulary."""
    vocab = tiny_vocab()
    return blip_base_config(
        text=dict(
            vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
            intermediate_size=hidden * 2, encoder_hidden_size=hidden, max_position_embeddings=64,
            bos_token_id=vocab.index("[DEC]"), pad_token_id=0, sep_token_id=vocab.index("[SEP]"),
            eos_token_id=vocab.index("[SEP]"),
        ),
        vision=dict(
            hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=hidden * 2,
            image_size=image_size, patch_size=patch_size, initializer_range=0.02,
        ),
        projection_dim=hidden,
    )


def save_random_blip(folder: Path, config=None, *, vocab: list[str] | None = None, seed: int = 0) -> Path:
    """Build ``BlipForConditionalGeneration`` with random weights and save it with its processor."""
    import torch
    from transformers import BertTokenizer, BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    config = config or tiny_config()
    size = config.vision_config.image_size
    if vocab is None:
        if config.text_config.vocab_size == len(tiny_vocab()):
            vocab = tiny_vocab()
        else:  # full-size: BERT's special-token positions, filler words elsewhere
            vocab = [f"w{i}" for i in range(config.text_config.vocab_size)]
            for i, token in ((0, "[PAD]"), (100, "[UNK]"), (101, "[CLS]"), (102, "[SEP]"), (103, "[MASK]")):
                vocab[i] = token
            vocab[config.text_config.bos_token_id] = "[DEC]"
            vocab[config.text_config.bos_token_id + 1] = "[ENC]"
    torch.manual_seed(seed)
    model = BlipForConditionalGeneration(config).eval()
    tokenizer = BertTokenizer(
        vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True,
        bos_token="[DEC]", additional_special_tokens=["[ENC]"],
    )
    processor = BlipProcessor(BlipImageProcessorPil(size={"height": size, "width": size}), tokenizer)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def write_site(root: Path, model: str | Path, images: dict[str, bytes], *, captions: dict | None = None,
               entries: dict[str, list[str]] | None = None) -> Path:
    """A minimal site with model entries whose samples are ``images`` (name -> bytes).

    ``entries`` maps an entry slug to the image names it lists (default: one entry, all).
    Returns the path of its ``unfragile.yaml``.
    """
    import yaml

    root = Path(root)
    media = root / "content" / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (media / name).write_bytes(data)
    settings = {
        "title": "Test catalog",
        "base_url": "https://example.org/",
        "tasks": {"image-captioning": {"label": "Image captioning"}},
        "captions": {"model": str(model), **(captions or {})},
    }
    config = root / "unfragile.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
    models = root / "content" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for slug, names in (entries or {"tiny-captioner": list(images)}).items():
        front = {
            "title": slug.replace("-", " ").title(), "summary": "A captioning model for tests.",
            "publisher": "Tests", "license": "MIT", "pricing": "free", "tasks": ["image-captioning"],
            "samples": [
                {"image": f"../media/{n}", "credit": f"Photo {n}", "license": "CC0-1.0", "source": "https://example.org/photos"}
                for n in names
            ],
        }
        (models / f"{slug}.md").write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\nA model.\n", "utf-8")
    return config


def load_site(config: Path):
    """The project and its valid entries (raises if the test site is invalid)."""
    from ..config import load_project
    from ..content.entries import load_site_entries

    project = load_project(config)
    problems: list = []
    entries, _ = load_site_entries(project, problems_found=problems)
    if problems:
        raise AssertionError("\n".join(map(str, problems)))
    return project, entries


BLIP_BASE_HUB_ID = "Salesforce/blip-image-captioning-base"
# Image normalisation of Salesforce/blip-image-captioning-base's published preprocessor (CLIP's).
_BLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
_BLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def blip_hub_files(config=None, *, seed: int = 0) -> dict[str, bytes]:
    """The files a first download of a BLIP captioning repo leaves in the cache, under the
    names Salesforce/blip-image-captioning-base publishes them: its config (the helper's
    shrunk shapes), preprocessor, tokenizer files and safetensors weights (random)."""
    import json
    import tempfile

    config = config or tiny_config()
    size = config.vision_config.image_size
    with tempfile.TemporaryDirectory() as scratch:
        saved = save_random_blip(Path(scratch), config, seed=seed)
        files = {name: (saved / name).read_bytes() for name in ("config.json", "model.safetensors", "tokenizer.json")}
    vocab = tiny_vocab() if config.text_config.vocab_size == len(tiny_vocab()) else None
    if vocab is None:
        raise ValueError("blip_hub_files writes the tiny vocabulary only")

    def text(value) -> bytes:
        return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()

    files["preprocessor_config.json"] = text({
        "do_normalize": True, "do_resize": True, "image_mean": _BLIP_MEAN, "image_processor_type": "BlipImageProcessor",
        "image_std": _BLIP_STD, "processor_class": "BlipProcessor", "resample": 3, "rescale_factor": 1 / 255,
        "size": {"height": size, "width": size},
    })
    files["tokenizer_config.json"] = text({
        "cls_token": "[CLS]", "do_basic_tokenize": True, "do_lower_case": True, "mask_token": "[MASK]", "model_max_length": 512,
        "name_or_path": "bert-base-uncased", "never_split": None, "pad_token": "[PAD]", "processor_class": "BlipProcessor",
        "sep_token": "[SEP]", "special_tokens_map_file": None, "strip_accents": None, "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
    })
    files["special_tokens_map.json"] = text({
        "additional_special_tokens": ["[ENC]"], "bos_token": "[DEC]", "cls_token": "[CLS]", "mask_token": "[MASK]",
        "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]",
    })
    files["vocab.txt"] = "".join(f"{token}\n" for token in vocab).encode()
    return files


def write_hub_cache(hf_home: Path, repo_id: str, files: dict[str, bytes]) -> str:
    """Lay ``files`` out under ``hf_home`` as huggingface_hub's cache stores a model repo.

    ``hub/models--{owner}--{name}/blobs/<hash>`` holds each file once (named by its sha256
    for the weights, which the hub keeps in LFS, by its git blob sha1 otherwise),
    ``snapshots/<commit>/<name>`` links to it relatively, and ``refs/main`` names the commit.
    Returns the commit.
    """
    import hashlib

    repo = Path(hf_home) / "hub" / ("models--" + repo_id.replace("/", "--"))
    listing = hashlib.sha1()
    blobs = {}
    for name in sorted(files):
        data = files[name]
        if name.endswith(".safetensors"):
            blob = hashlib.sha256(data).hexdigest()
        else:
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        blobs[name] = blob
        listing.update(f"{name}\0{blob}\n".encode())
    commit = listing.hexdigest()
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, blob in blobs.items():
        (repo / "blobs" / blob).write_bytes(files[name])
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob)
    (repo / "refs" / "main").write_text(commit)
    return commit
