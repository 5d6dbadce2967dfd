import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.join(ROOT, "tools"))  # tools/reference_forms.py, the forms the losses are checked against


@pytest.fixture
def rng_seed():
    import torch

    torch.manual_seed(0)
    return 0


@pytest.fixture
def one_thread():
    """One torch thread for the test: the two cores are shared with other jobs."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
