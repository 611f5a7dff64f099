"""Optimizers: each class writes one update rule, in place, exactly as PyTorch does.

Every optimizer takes the parameters to train (``model.parameters()``, the pairs of
``model.named_parameters()``, or the model itself), keeps the current learning rate in
``lr`` (schedules in `nnkit.schedules` change it) and its per-parameter buffers in
``state[parameter]``, a dict you can read. ``zero_grad()`` resets the gradients and
``step()`` applies one update to every parameter whose ``requires_grad`` is True.

Each ``step()`` computes the same numbers as the PyTorch optimizer of the same name with
the same hyperparameters (the equations are in each docstring). The updates run in place
on preallocated buffers, and every scalar is a Python float, so a float32 model keeps
float32 values, gradients and state (NumPy 2 would promote a float32 array multiplied by
an ``np.float64`` scalar to float64).

Chapter 4 (Optimizers) derives these rules; chapter 5 uses the gradient clipping.
"""

from __future__ import annotations

import math

import numpy as np

from nnkit.core import Layer, NNKitError, Parameter

__all__ = [
    "Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "AdaGrad",
    "clip_grad_norm_", "clip_grad_value_", "named_params",
]


# -- collecting parameters ------------------------------------------------------------
def named_params(params, *, where: str = "optimizer") -> list[tuple[str, Parameter]]:
    """Normalise what a user may pass as "the parameters" to a list of `(name, Parameter)`.

    Accepts a `Layer` (its ``named_parameters()``), an iterable of `Parameter` (named
    ``"param0"``, ``"param1"``, ... by position) or an iterable of ``(name, Parameter)``
    pairs. A parameter that appears twice (a shared weight) is kept once, under its first
    name, so it is updated once per step.
    """
    if isinstance(params, Layer):
        items = list(params.named_parameters())
    elif isinstance(params, Parameter):
        items = [("param0", params)]
    else:
        try:
            raw = list(params)
        except TypeError:
            raise NNKitError(
                f"{where}: params must be model.parameters(), model.named_parameters() or a "
                f"Layer, got {type(params).__name__}."
            ) from None
        items = []
        for i, item in enumerate(raw):
            if isinstance(item, Parameter):
                items.append((f"param{i}", item))
            elif (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                  and isinstance(item[1], Parameter)):
                items.append(item)
            else:
                raise NNKitError(
                    f"{where}: item {i} of params is a {type(item).__name__}, expected an "
                    "nnkit.Parameter or a (name, Parameter) pair; pass model.parameters()."
                )
    seen: set[int] = set()
    unique = []
    for name, p in items:
        if id(p) not in seen:
            seen.add(id(p))
            unique.append((name, p))
    return unique


def _check_positive(where: str, name: str, value, *, allow_zero: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise NNKitError(f"{where}: {name} must be a number, got {value!r}.") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise NNKitError(f"{where}: {name} must be a finite number {need}, got {value!r}.")
    return value


def _check_unit(where: str, name: str, value) -> float:
    """A decay rate in [0, 1)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise NNKitError(f"{where}: {name} must be a number in [0, 1), got {value!r}.") from None
    if not 0.0 <= value < 1.0:
        raise NNKitError(
            f"{where}: {name} must lie in [0, 1), got {value!r}; it is the weight of the old "
            "running average (for example 0.9)."
        )
    return value


# -- the base class ---------------------------------------------------------------------
class Optimizer:
    """Base class: holds the parameters, the learning rate and the per-parameter state.

    Attributes
    ----------
    params : list[Parameter]
        The parameters this optimizer updates (frozen ones are skipped at each step, so
        unfreezing later works without rebuilding the optimizer).
    names : list[str]
        Their names, for error messages (``"0.weight"`` when built from a model).
    lr : float
        The learning rate used by the next ``step()``; schedules assign to it.
    initial_lr : float
        The learning rate given at construction; schedules compute from it.
    state : dict[Parameter, dict]
        Per-parameter buffers (``"step"``, ``"exp_avg"``, ...), created at the first step
        with the parameter's shape and dtype.
    """

    def __init__(self, params, lr: float, *, weight_decay: float = 0.0):
        where = type(self).__name__
        self.named = named_params(params, where=where)
        if not self.named:
            raise NNKitError(
                f"{where} got an empty parameter list: build the model first, then pass "
                "model.parameters() (a model without parameters has nothing to optimize)."
            )
        self.params = [p for _, p in self.named]
        self.names = [n for n, _ in self.named]
        self.lr = _check_positive(where, "lr", lr)
        self.initial_lr = self.lr
        self.weight_decay = _check_positive(where, "weight_decay", weight_decay, allow_zero=True)
        self.state: dict[Parameter, dict] = {}

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (in place, keeping the arrays)."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        """Apply one update to every parameter with ``requires_grad`` True."""
        lr = float(self.lr)  # a Python float never promotes a float32 array
        for p in self.params:
            if not p.requires_grad:
                continue
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = self._init_state(p)
            state["step"] += 1
            self._update(p, state, lr)

    # subclasses -------------------------------------------------------------------------
    def _init_state(self, p: Parameter) -> dict:
        return {"step": 0}

    def _update(self, p: Parameter, state: dict, lr: float) -> None:
        raise NotImplementedError

    def _decayed_grad(self, p: Parameter, state: dict) -> np.ndarray:
        """g = grad + weight_decay * w (coupled L2 decay), in a reused buffer; else grad."""
        if self.weight_decay == 0.0:
            return p.grad
        g = state.get("decayed_grad")
        if g is None:
            g = state["decayed_grad"] = np.empty_like(p.value)
        np.multiply(p.value, self.weight_decay, out=g)
        g += p.grad
        return g

    def __repr__(self) -> str:
        n = sum(p.value.size for p in self.params)
        return f"{type(self).__name__}(lr={self.lr:g}, {len(self.params)} parameters, {n} values)"


# -- SGD ----------------------------------------------------------------------------------
class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov and weight decay.

    With ``g = grad + weight_decay * w`` the update is (PyTorch's form):

        v <- g                              at the first step
        v <- momentum * v + (1 - dampening) * g   afterwards
        d <- g + momentum * v   (nesterov)   or   d <- v   (classical)
        w <- w - lr * d

    and without momentum simply ``w <- w - lr * g``.

    The book (chapter 4) writes momentum as ``v <- gamma v + eta g``, ``w <- w - v``, with
    the learning rate inside the velocity. The two are the same trajectory for a constant
    learning rate: the book's velocity is ``lr`` times PyTorch's (``v_book = eta v_torch``,
    ``gamma = momentum``). They differ only when ``lr`` changes during training (a schedule):
    PyTorch's form applies the new rate to the whole accumulated velocity at once.

    Shapes: every buffer has the shape and dtype of its parameter.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, dampening: float = 0.0):
        super().__init__(params, lr, weight_decay=weight_decay)
        self.momentum = _check_unit("SGD", "momentum", momentum) if momentum else 0.0
        self.dampening = _check_positive("SGD", "dampening", dampening, allow_zero=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise NNKitError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}."
            )

    def _update(self, p, state, lr):
        g = self._decayed_grad(p, state)
        if self.momentum == 0.0:
            p.value -= _scaled(g, lr, state)                     # w <- w - lr g
            return
        v = state.get("momentum_buffer")
        if v is None:
            v = state["momentum_buffer"] = g.copy()              # v <- g (first step)
        else:
            v *= self.momentum                                   # v <- mu v + (1 - damp) g
            v += _scaled(g, 1.0 - self.dampening, state) if self.dampening else g
        if self.nesterov:
            d = _scaled(v, self.momentum, state)                 # d <- g + mu v
            d += g
            d *= lr
        else:
            d = _scaled(v, lr, state)
        p.value -= d                                             # w <- w - lr d


def _scaled(a: np.ndarray, c: float, state: dict) -> np.ndarray:
    """``c * a`` written into the parameter's reusable scratch buffer (no new array)."""
    buf = state.get("scratch")
    if buf is None:
        buf = state["scratch"] = np.empty_like(a)
    np.multiply(a, c, out=buf)
    return buf


# -- RMSProp --------------------------------------------------------------------------------
class RMSProp(Optimizer):
    """RMSProp: divide the gradient by a running root mean square of past gradients.

    With ``g = grad + weight_decay * w`` and ``s`` starting at 0 (PyTorch's ``RMSprop``):

        s <- alpha * s + (1 - alpha) * g**2
        u <- g / (sqrt(s) + eps)
        w <- w - lr * u                              (momentum = 0)
        b <- momentum * b + u,  w <- w - lr * b      (momentum > 0)

    Where eps sits matters (chapter 4): PyTorch, and this class, add it *outside* the
    square root, ``sqrt(s) + eps``; some texts write ``sqrt(s + eps)``, which behaves
    differently while ``s`` is tiny.

    Shapes: every buffer has the shape and dtype of its parameter.
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0):
        super().__init__(params, lr, weight_decay=weight_decay)
        self.alpha = _check_unit("RMSProp", "alpha", alpha)
        self.eps = _check_positive("RMSProp", "eps", eps, allow_zero=True)
        self.momentum = _check_unit("RMSProp", "momentum", momentum) if momentum else 0.0

    def _init_state(self, p):
        state = {"step": 0, "square_avg": np.zeros_like(p.value), "scratch": np.empty_like(p.value)}
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(p.value)
        return state

    def _update(self, p, state, lr):
        g = self._decayed_grad(p, state)
        s, u = state["square_avg"], state["scratch"]
        s *= self.alpha                                  # s <- alpha s + (1 - alpha) g^2
        np.multiply(g, g, out=u)
        u *= 1.0 - self.alpha
        s += u
        np.sqrt(s, out=u)                                # u <- g / (sqrt(s) + eps)
        u += self.eps
        np.divide(g, u, out=u)
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += u
            np.multiply(b, lr, out=u)
        else:
            u *= lr
        p.value -= u


# -- Adam and AdamW -------------------------------------------------------------------------
class Adam(Optimizer):
    """Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    With ``g = grad + weight_decay * w`` (coupled L2), ``m`` and ``v`` starting at 0 and
    ``t`` the step number (1, 2, ...), as PyTorch's ``Adam``:

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        w <- w - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    which is ``w <- w - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1**t)``
    and ``v_hat = v / (1 - beta2**t)``: eps sits outside the square root, after the
    correction. The corrections are Python floats, so float32 state stays float32.

    Shapes: every buffer has the shape and dtype of its parameter.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay=weight_decay)
        where = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise NNKitError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}.") from None
        self.betas = (_check_unit(where, "betas[0]", beta1), _check_unit(where, "betas[1]", beta2))
        self.eps = _check_positive(where, "eps", eps, allow_zero=True)

    def _init_state(self, p):
        return {"step": 0, "exp_avg": np.zeros_like(p.value),
                "exp_avg_sq": np.zeros_like(p.value), "scratch": np.empty_like(p.value)}

    def _update(self, p, state, lr):
        beta1, beta2 = self.betas
        t = state["step"]
        g = self._decayed_grad(p, state)                 # g <- grad + weight_decay w
        m, v, u = state["exp_avg"], state["exp_avg_sq"], state["scratch"]
        m *= beta1                                       # m <- beta1 m + (1 - beta1) g
        np.multiply(g, 1.0 - beta1, out=u)
        m += u
        v *= beta2                                       # v <- beta2 v + (1 - beta2) g^2
        np.multiply(g, g, out=u)
        u *= 1.0 - beta2
        v += u
        bias1 = 1.0 - beta1 ** t                         # Python floats: no upcast
        bias2_sqrt = math.sqrt(1.0 - beta2 ** t)
        np.sqrt(v, out=u)                                # u <- sqrt(v) / sqrt(1 - beta2^t) + eps
        u *= 1.0 / bias2_sqrt
        u += self.eps
        np.divide(m, u, out=u)                           # u <- m / u
        u *= lr / bias1
        p.value -= u


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's ``AdamW``.

    The decay shrinks the weights directly instead of entering the gradient:

        w <- w * (1 - lr * weight_decay)
        then the Adam update of `Adam` with ``g = grad`` (no decay term in m or v).

    With plain SGD the two forms coincide; with Adam they do not, because the coupled
    form's decay gets divided by ``sqrt(v_hat)`` like the rest of the gradient.

    Shapes: every buffer has the shape and dtype of its parameter.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(self, p, state, lr):
        p.value *= 1.0 - lr * self.weight_decay          # decoupled decay first
        super()._update(p, state, lr)                    # then Adam on the plain gradient

    def _decayed_grad(self, p, state):
        return p.grad                                    # the decay never enters m or v


# -- AdaGrad --------------------------------------------------------------------------------
class AdaGrad(Optimizer):
    """AdaGrad: divide by the root of the *sum* of all past squared gradients.

    With ``g = grad + weight_decay * w`` and ``s`` starting at ``initial_accumulator_value``
    (PyTorch's ``Adagrad`` with ``lr_decay = 0``):

        s <- s + g**2
        w <- w - lr * g / (sqrt(s) + eps)

    The effective rate of each coordinate only shrinks, which suits sparse features and
    stalls long runs (RMSProp's running average fixes that).

    Shapes: every buffer has the shape and dtype of its parameter.
    """

    def __init__(self, params, lr: float = 1e-2, eps: float = 1e-10, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0):
        super().__init__(params, lr, weight_decay=weight_decay)
        self.eps = _check_positive("AdaGrad", "eps", eps, allow_zero=True)
        self.initial_accumulator_value = _check_positive(
            "AdaGrad", "initial_accumulator_value", initial_accumulator_value, allow_zero=True)

    def _init_state(self, p):
        return {"step": 0, "sum": np.full_like(p.value, self.initial_accumulator_value),
                "scratch": np.empty_like(p.value)}

    def _update(self, p, state, lr):
        g = self._decayed_grad(p, state)
        s, u = state["sum"], state["scratch"]
        np.multiply(g, g, out=u)                         # s <- s + g^2
        s += u
        np.sqrt(s, out=u)                                # u <- lr g / (sqrt(s) + eps)
        u += self.eps
        np.divide(g, u, out=u)
        u *= lr
        p.value -= u


# -- gradient clipping ----------------------------------------------------------------------
def _grads(params, where):
    return [(n, p.grad) for n, p in named_params(params, where=where) if p.requires_grad]


def clip_grad_norm_(params, max_norm: float, norm_type: float = 2.0) -> float:
    """Rescale all gradients together so that their joint norm is at most `max_norm`.

    The total norm is taken over the gradients of all trainable parameters as one vector,

        total = (sum_p ||grad_p||^q)^(1/q)      (q = norm_type; q = inf: the largest |entry|)

    and, as ``torch.nn.utils.clip_grad_norm_`` does, every gradient is multiplied in place
    by ``min(1, max_norm / (total + 1e-6))``: the direction is kept, only the length
    shrinks. Chapters 5 and 7 use it against exploding gradients.

    Returns
    -------
    float
        The total norm *before* clipping (useful to log); inf or nan if a gradient is.
    """
    max_norm = _check_positive("clip_grad_norm_", "max_norm", max_norm)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise NNKitError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type!r}.")
    grads = [g for _, g in _grads(params, "clip_grad_norm_")]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:
        total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    else:
        total = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(params, clip_value: float) -> None:
    """Clip every gradient entry into ``[-clip_value, clip_value]`` in place.

    As ``torch.nn.utils.clip_grad_value_``: each coordinate separately, so unlike
    `clip_grad_norm_` this can change the direction of the gradient.
    """
    clip_value = _check_positive("clip_grad_value_", "clip_value", clip_value)
    for _, g in _grads(params, "clip_grad_value_"):
        np.clip(g, -clip_value, clip_value, out=g)
