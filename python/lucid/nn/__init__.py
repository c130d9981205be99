"""Neural-network building blocks: modules, parameters, functional forms, init, utils.

The layers' names are listed once, in the ``__all__`` of each file of lucid.nn.modules;
this package re-exports them.
"""

from lucid.nn import functional, init, utils
from lucid.nn.decorators import auto_repr, set_state_dict_pass_attr
from lucid.nn.module import Module
from lucid.nn.modules import activation as _activation
from lucid.nn.modules import activation_extra as _activation_extra
from lucid.nn.modules import attention as _attention
from lucid.nn.modules import attention_blocks as _attention_blocks
from lucid.nn.modules import basic as _basic
from lucid.nn.modules import bilinear as _bilinear
from lucid.nn.modules import container as _container
from lucid.nn.modules import conv as _conv
from lucid.nn.modules import conv_blocks as _conv_blocks
from lucid.nn.modules import drop_regions as _drop_regions
from lucid.nn.modules import dropout as _dropout
from lucid.nn.modules import einops as _einops
from lucid.nn.modules import linear as _linear
from lucid.nn.modules import loss as _loss
from lucid.nn.modules import loss_huber as _loss_huber
from lucid.nn.modules import norm as _norm
from lucid.nn.modules import param_containers as _param_containers
from lucid.nn.modules import pool as _pool
from lucid.nn.modules import sampling as _sampling
from lucid.nn.modules import sparse as _sparse
from lucid.nn.modules import transformer as _transformer
from lucid.nn.modules.activation import *  # noqa: F403
from lucid.nn.modules.activation_extra import *  # noqa: F403
from lucid.nn.modules.attention import *  # noqa: F403
from lucid.nn.modules.attention_blocks import *  # noqa: F403
from lucid.nn.modules.basic import *  # noqa: F403
from lucid.nn.modules.bilinear import *  # noqa: F403
from lucid.nn.modules.container import *  # noqa: F403
from lucid.nn.modules.conv import *  # noqa: F403
from lucid.nn.modules.conv_blocks import *  # noqa: F403
from lucid.nn.modules.drop_regions import *  # noqa: F403
from lucid.nn.modules.dropout import *  # noqa: F403
from lucid.nn.modules.einops import *  # noqa: F403
from lucid.nn.modules.linear import *  # noqa: F403
from lucid.nn.modules.loss import *  # noqa: F403
from lucid.nn.modules.loss_huber import *  # noqa: F403
from lucid.nn.modules.norm import *  # noqa: F403
from lucid.nn.modules.param_containers import *  # noqa: F403
from lucid.nn.modules.pool import *  # noqa: F403
from lucid.nn.modules.sampling import *  # noqa: F403
from lucid.nn.modules.sparse import *  # noqa: F403
from lucid.nn.modules.transformer import *  # noqa: F403
from lucid.nn.parameter import Buffer, Parameter

__all__ = [
    "Buffer",
    "Module",
    "Parameter",
    "auto_repr",
    "functional",
    "init",
    "set_state_dict_pass_attr",
    "utils",
]
__all__ += _activation.__all__
__all__ += _activation_extra.__all__
__all__ += _attention.__all__
__all__ += _attention_blocks.__all__
__all__ += _basic.__all__
__all__ += _bilinear.__all__
__all__ += _container.__all__
__all__ += _conv.__all__
__all__ += _conv_blocks.__all__
__all__ += _drop_regions.__all__
__all__ += _dropout.__all__
__all__ += _einops.__all__
__all__ += _linear.__all__
__all__ += _loss.__all__
__all__ += _loss_huber.__all__
__all__ += _norm.__all__
__all__ += _param_containers.__all__
__all__ += _pool.__all__
__all__ += _sampling.__all__
__all__ += _sparse.__all__
__all__ += _transformer.__all__
