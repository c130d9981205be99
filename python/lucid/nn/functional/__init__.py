"""Functional forms of the layers; each submodule's ``__all__`` lists its names."""

from lucid.nn.functional import activation as _activation
from lucid.nn.functional import activation_extra as _activation_extra
from lucid.nn.functional import attention as _attention
from lucid.nn.functional import bilinear as _bilinear
from lucid.nn.functional import conv as _conv
from lucid.nn.functional import conv_transpose as _conv_transpose
from lucid.nn.functional import drop_regions as _drop_regions
from lucid.nn.functional import dropout as _dropout
from lucid.nn.functional import linear as _linear
from lucid.nn.functional import loss as _loss
from lucid.nn.functional import loss_huber as _loss_huber
from lucid.nn.functional import norm as _norm
from lucid.nn.functional import pool as _pool
from lucid.nn.functional import sampling as _sampling
from lucid.nn.functional import selu_dropout as _selu_dropout
from lucid.nn.functional import sparse as _sparse
from lucid.nn.functional.activation import *  # noqa: F403
from lucid.nn.functional.activation_extra import *  # noqa: F403
from lucid.nn.functional.attention import *  # noqa: F403
from lucid.nn.functional.bilinear import *  # noqa: F403
from lucid.nn.functional.conv import *  # noqa: F403
from lucid.nn.functional.conv_transpose import *  # noqa: F403
from lucid.nn.functional.drop_regions import *  # noqa: F403
from lucid.nn.functional.dropout import *  # noqa: F403
from lucid.nn.functional.linear import *  # noqa: F403
from lucid.nn.functional.loss import *  # noqa: F403
from lucid.nn.functional.loss_huber import *  # noqa: F403
from lucid.nn.functional.norm import *  # noqa: F403
from lucid.nn.functional.pool import *  # noqa: F403
from lucid.nn.functional.sampling import *  # noqa: F403
from lucid.nn.functional.selu_dropout import *  # noqa: F403
from lucid.nn.functional.sparse import *  # noqa: F403

__all__: list[str] = []
__all__ += _activation.__all__
__all__ += _activation_extra.__all__
__all__ += _attention.__all__
__all__ += _bilinear.__all__
__all__ += _conv.__all__
__all__ += _conv_transpose.__all__
__all__ += _drop_regions.__all__
__all__ += _dropout.__all__
__all__ += _linear.__all__
__all__ += _loss.__all__
__all__ += _loss_huber.__all__
__all__ += _norm.__all__
__all__ += _pool.__all__
__all__ += _sampling.__all__
__all__ += _selu_dropout.__all__
__all__ += _sparse.__all__
