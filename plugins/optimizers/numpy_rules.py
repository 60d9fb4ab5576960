"""The update rules for NumPy models, each updating the arrays in place.

SGD, Adam, AdamW and RMSprop follow torch.optim's single-tensor (for-loop)
implementations operation by operation (torch/optim/sgd.py ``_single_tensor_sgd``,
torch/optim/adam.py ``_single_tensor_adam``, torch/optim/rmsprop.py
``_single_tensor_rmsprop``), so a NumPy model and a torch
model given the same gradients take the same steps, to rounding.
``maximize``, sparse gradients and tensor-valued hyperparameters are not
supported. A gradient given as ``None`` leaves its parameter (and its
state) untouched that step, as torch does for a parameter whose ``.grad``
is None.
"""

import numpy as np


class _NumpyOptimizer:
    def __init__(self, params, lr):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, np.ndarray):
                raise TypeError(f"NumPy optimizers update np.ndarray parameters in place, not {type(p).__name__}")
        self.lr = lr

    def _check(self, grads):
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"got {len(grads)} gradients for {len(self.params)} parameters")
        return grads


class GD(_NumpyOptimizer):
    """The tutorial's update: ``w -= learning_rate * grad_w``."""

    def step(self, grads):
        learning_rate = self.lr
        for w, grad_w in zip(self.params, self._check(grads)):
            if grad_w is not None:
                w -= learning_rate * grad_w


class SGD(_NumpyOptimizer):
    """torch.optim.SGD: L2 weight decay, momentum (first buffer = the gradient), dampening, Nesterov."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.momentum_buffers: list[np.ndarray | None] = [None] * len(self.params)

    def step(self, grads):
        lr, momentum, dampening, weight_decay = self.lr, self.momentum, self.dampening, self.weight_decay
        for i, (param, grad) in enumerate(zip(self.params, self._check(grads))):
            if grad is None:  # as torch skips a parameter whose .grad is None
                continue
            if weight_decay != 0:
                grad = grad + weight_decay * param  # grad.add(param, alpha=weight_decay)

            if momentum != 0:
                buf = self.momentum_buffers[i]
                if buf is None:
                    buf = np.array(grad, copy=True)  # grad.detach().clone()
                    self.momentum_buffers[i] = buf
                else:
                    buf *= momentum  # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    buf += (1 - dampening) * grad
                if self.nesterov:
                    grad = grad + momentum * buf  # grad.add(buf, alpha=momentum)
                else:
                    grad = buf

            param += -lr * grad  # param.add_(grad, alpha=-lr)


def _lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` as ATen computes it, in place."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


class Adam(_NumpyOptimizer):
    """torch.optim.Adam: bias-corrected moments, AMSGrad, L2 weight decay (or decoupled, for AdamW)."""

    decoupled_weight_decay = False

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr)
        beta1, beta2 = betas
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= beta1 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
        if not 0.0 <= beta2 < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {beta2}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.steps = [0.0] * len(self.params)
        self.exp_avgs = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [np.zeros_like(p) for p in self.params]
        self.max_exp_avg_sqs = [np.zeros_like(p) for p in self.params] if amsgrad else []

    def step(self, grads):
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        for i, (param, grad) in enumerate(zip(self.params, self._check(grads))):
            if grad is None:  # as torch skips a parameter whose .grad is None (its step count too)
                continue
            exp_avg, exp_avg_sq = self.exp_avgs[i], self.exp_avg_sqs[i]
            self.steps[i] += 1
            step = self.steps[i]

            if weight_decay != 0:
                if self.decoupled_weight_decay:
                    param *= 1 - lr * weight_decay  # param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + weight_decay * param  # grad.add(param, alpha=weight_decay)

            # Decay the first and second moment running average coefficient
            _lerp_(exp_avg, grad, 1 - beta1)  # exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq *= beta2  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            exp_avg_sq += (1 - beta2) * grad * grad

            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2**0.5

            if self.amsgrad:
                # Maintains the maximum of all 2nd moment running avg. till now
                np.maximum(self.max_exp_avg_sqs[i], exp_avg_sq, out=self.max_exp_avg_sqs[i])
                denom = np.sqrt(self.max_exp_avg_sqs[i]) / bias_correction2_sqrt + eps
            else:
                denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps

            param += -step_size * (exp_avg / denom)  # param.addcdiv_(exp_avg, denom, value=-step_size)


class AdamW(Adam):
    """torch.optim.AdamW: Adam whose weight decay is decoupled, ``p *= 1 - lr * weight_decay``."""

    decoupled_weight_decay = True

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


class RMSprop(_NumpyOptimizer):
    """torch.optim.RMSprop: a running average of squared gradients; centered, momentum, L2 weight decay."""

    def __init__(self, params, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered
        self.square_avgs = [np.zeros_like(p) for p in self.params]
        self.grad_avgs = [np.zeros_like(p) for p in self.params] if centered else []
        self.momentum_buffers = [np.zeros_like(p) for p in self.params] if momentum > 0 else []

    def step(self, grads):
        lr, alpha, eps, weight_decay, momentum = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for i, (param, grad) in enumerate(zip(self.params, self._check(grads))):
            if grad is None:  # as torch skips a parameter whose .grad is None
                continue
            if weight_decay != 0:
                grad = grad + weight_decay * param  # grad.add(param, alpha=weight_decay)

            square_avg = self.square_avgs[i]
            square_avg *= alpha  # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            square_avg += (1 - alpha) * grad * grad

            if self.centered:
                grad_avg = self.grad_avgs[i]
                _lerp_(grad_avg, grad, 1 - alpha)  # grad_avg.lerp_(grad, 1 - alpha)
                avg = np.sqrt(square_avg - grad_avg * grad_avg)  # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = np.sqrt(square_avg)
            avg = avg + eps  # avg.add_(eps)

            if momentum > 0:
                buf = self.momentum_buffers[i]
                buf *= momentum  # buf.mul_(momentum).addcdiv_(grad, avg)
                buf += grad / avg
                param += -lr * buf  # param.add_(buf, alpha=-lr)
            else:
                param += -lr * (grad / avg)  # param.addcdiv_(grad, avg, value=-lr)
