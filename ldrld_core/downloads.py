"""Files fetched at run time (ImageNet initialisations, teacher weights), and what a user
reads when the fetch fails.

Everything goes into torch's hub cache, ``<torch.hub.get_dir()>/checkpoints/<file
name>`` (``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``),
the folder where ``torch.hub.load_state_dict_from_url``, torchvision, MMEngine and
torchreid look first. A file already there is used as is, without any network access.
A failed download raises one :class:`~ldrld_core.errors.DownloadError` that names the
URL, the exact cache path to copy the file to, and the switch that runs without it.
"""

import os
import socket
import urllib.parse

from .errors import DownloadError

TIMEOUT_S = 60  # a network that drops packets instead of refusing fails after this long


def cache_path(url: str) -> str:
    """Where torch's hub cache keeps the file of ``url``."""
    import torch

    name = os.path.basename(urllib.parse.urlparse(url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", name)


def _reason(err) -> str:
    reason = getattr(err, "reason", None)
    text = str(reason if reason is not None else err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def fetch(url: str, what: str, switch: str) -> str:
    """The local path of ``url``'s file in torch's hub cache, downloaded once.

    ``what`` says what the file is for (``'ImageNet weights of the student backbone
    (torchvision://resnet18)'``); ``switch`` says how to run without it
    (``'pass --no-pretrained to train the backbone from scratch'``)."""
    import torch

    path = cache_path(url)
    if os.path.isfile(path) and os.path.getsize(path) > 0:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(TIMEOUT_S)
    try:
        torch.hub.download_url_to_file(url, path, progress=False)  # a temporary file, renamed when complete
    except Exception as err:  # noqa: BLE001  (every way a download fails ends in the same sentence)
        raise DownloadError(
            f"{what}: could not download {url} ({_reason(err)}). Without network, copy that file from a "
            f"machine that has it to {path} (torch's hub cache; TORCH_HOME moves it) and run again, or {switch}"
        ) from err
    finally:
        socket.setdefaulttimeout(previous)
    return path
