"""Turn a batch normalised for the student into the batch the teacher expects.

Both models see the same augmented images; only the data preprocessors may
differ: caffe-style teachers want BGR minus the mean, ImageNet-initialised
students want RGB minus the mean over the std. The student's batch is undone
to raw pixels, its channels reordered if the two disagree, normalised the
teacher's way, and the padding set to the teacher's pad value.
"""

import torch


def _norm(pre):
    if getattr(pre, "_enable_normalize", False):
        return pre.mean.view(-1), pre.std.view(-1)
    return None, None


class Renormalizer:
    def __init__(self, student_pre, teacher_pre):
        self.student, self.teacher = student_pre, teacher_pre
        s_mean, s_std = _norm(student_pre)
        t_mean, t_std = _norm(teacher_pre)
        self.flip = bool(getattr(student_pre, "_channel_conversion", False)) != bool(
            getattr(teacher_pre, "_channel_conversion", False)
        )
        same_norm = (s_mean is None and t_mean is None) or (
            s_mean is not None and t_mean is not None and torch.equal(s_mean, t_mean) and torch.equal(s_std, t_std)
        )
        self.identity = (
            same_norm and not self.flip and getattr(student_pre, "pad_value", 0) == getattr(teacher_pre, "pad_value", 0)
        )

    def __repr__(self):
        return f"Renormalizer(identity={self.identity}, flip_channels={self.flip})"

    def __call__(self, inputs: torch.Tensor, data_samples) -> torch.Tensor:
        if self.identity:
            return inputs
        x = inputs
        s_mean, s_std = _norm(self.student)
        if s_mean is not None:
            x = x * s_std.view(1, -1, 1, 1) + s_mean.view(1, -1, 1, 1)
        if self.flip:
            x = x.flip(1)
        t_mean, t_std = _norm(self.teacher)
        if t_mean is not None:
            x = (x - t_mean.view(1, -1, 1, 1)) / t_std.view(1, -1, 1, 1)
        # Pixels outside each image are padding: give them the teacher's pad value.
        valid = torch.zeros(x.shape[0], 1, x.shape[2], x.shape[3], dtype=torch.bool, device=x.device)
        for k, sample in enumerate(data_samples):
            h, w = sample.metainfo["img_shape"][:2]
            valid[k, :, :h, :w] = True
        return x.masked_fill(~valid, float(getattr(self.teacher, "pad_value", 0)))
