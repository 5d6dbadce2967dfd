"""How far training has come, in the one unit every integration passes to the losses.

``progress`` is the number of epochs done so far as a float, counting the
current iteration: in epoch ``e`` (1-based) of ``n`` iterations, iteration
``i`` (1-based) has ``progress = e - 1 + i / n``, so the last iteration of
epoch ``e`` has ``progress = e``. DKD's warm-up ``min(progress / warmup, 1)``
therefore reaches, at the end of each epoch, the value the DKD authors' code
uses for that whole epoch (``epoch / warmup``, epochs counted from 1), and
rises linearly in between. MMEngine's message hub holds what this needs.
"""


def training_progress():
    """Epochs done so far (a float), or None outside an MMEngine training loop.
    An iteration-based loop counts as one epoch, so there it is the fraction of the run."""
    from mmengine.logging import MessageHub

    hub = MessageHub.get_current_instance()
    step, max_iters, max_epochs = hub.get_info("iter"), hub.get_info("max_iters"), hub.get_info("max_epochs")
    if step is None or not max_iters or not max_epochs:
        return None
    return (int(step) + 1) * float(max_epochs) / float(max_iters)
