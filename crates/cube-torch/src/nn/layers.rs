//! The forward computations of the modules and criteria, as candle expressions, and
//! the shape checks that run before them.
//!
//! Each layer is written only forward, with candle operations that candle's autograd
//! can differentiate; [`super::graph`] records it on `Var`s and differentiates it. The
//! checks ([`Layer::output_sizes`], [`Loss::check`]) run on cube's sizes before any
//! candle tensor is made, so a wrong shape is an error naming the shapes and a huge
//! output is refused before it is allocated.

use crate::error::{shape_text, TorchError};
use candle_core::Tensor as Ct;

/// A module's computation: what `forward` records.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// `y = x W^T + b`, x of size `[in]` or `[n x in]`, W `[out x in]`, b `[out]`.
    Linear {
        bias: bool,
    },
    ReLU,
    Tanh,
    Sigmoid,
    /// Over the feature dimension: the only one of a vector, the second of a batch.
    SoftMax,
    LogSoftMax,
    /// `x * mask`, the mask (0 or `1/(1-p)`, Torch7's scaling at training time) made
    /// by the caller from the process's generator.
    Dropout,
    /// The same elements with other sizes.
    View(Vec<usize>),
    /// 2-d convolution of `[c x h x w]` or `[n x c x h x w]` by `[out x c x kh x kw]`
    /// (+ bias `[out]`); one stride and one padding for both axes (candle's).
    Conv {
        stride: usize,
        pad: usize,
    },
    /// Max pooling with kernel `(kh, kw)` and stride `(sh, sw)`, which must be the
    /// kernel (non-overlapping windows; the rows and columns past the last whole
    /// window are dropped, as Torch7's floor mode does).
    MaxPool {
        kernel: (usize, usize),
        stride: (usize, usize),
    },
}

fn mismatch(what: &str, parts: &[(&str, &[usize])]) -> TorchError {
    let text: Vec<String> = parts
        .iter()
        .map(|(n, s)| format!("{n}: {}", shape_text(s)))
        .collect();
    TorchError::new(format!("{what}: size mismatch, {}", text.join(", ")))
}

fn out_len(len: usize, k: usize, stride: usize, pad: usize) -> Option<usize> {
    let padded = len.checked_add(pad.checked_mul(2)?)?;
    if k == 0 || stride == 0 || padded < k {
        return None;
    }
    Some((padded - k) / stride + 1)
}

impl Layer {
    pub fn name(&self) -> &'static str {
        match self {
            Layer::Linear { .. } => "nn.Linear",
            Layer::ReLU => "nn.ReLU",
            Layer::Tanh => "nn.Tanh",
            Layer::Sigmoid => "nn.Sigmoid",
            Layer::SoftMax => "nn.SoftMax",
            Layer::LogSoftMax => "nn.LogSoftMax",
            Layer::Dropout => "nn.Dropout",
            Layer::View(_) => "nn.View",
            Layer::Conv { .. } => "nn.SpatialConvolution",
            Layer::MaxPool { .. } => "nn.SpatialMaxPooling",
        }
    }

    /// The size of the output for inputs (input first, then the parameters or the
    /// mask) of these sizes, or an error naming them.
    pub fn output_sizes(&self, sizes: &[&[usize]]) -> Result<Vec<usize>, TorchError> {
        let name = self.name();
        let x = sizes.first().copied().unwrap_or(&[]);
        if x.is_empty() {
            return Err(TorchError::new(format!("{name}: empty input")));
        }
        let expect_params = match self {
            Layer::Linear { bias: true } | Layer::Conv { .. } => 2,
            Layer::Linear { bias: false } | Layer::Dropout => 1,
            _ => 0,
        };
        if sizes.len() != 1 + expect_params {
            return Err(TorchError::new(format!(
                "{name}: {} tensors given, {} expected",
                sizes.len(),
                1 + expect_params
            )));
        }
        match self {
            Layer::Linear { bias } => {
                let w = sizes[1];
                let ok_x = matches!(x.len(), 1 | 2);
                let ok_w = w.len() == 2 && x.last() == w.get(1);
                let ok_b = !bias || sizes[2] == [w.first().copied().unwrap_or(0)];
                if !(ok_x && ok_w && ok_b) {
                    let mut parts = vec![("input", x), ("weight", w)];
                    if *bias {
                        parts.push(("bias", sizes[2]));
                    }
                    return Err(mismatch(name, &parts));
                }
                let mut out = x.to_vec();
                if let Some(last) = out.last_mut() {
                    *last = w[0];
                }
                Ok(out)
            }
            Layer::ReLU | Layer::Tanh | Layer::Sigmoid => Ok(x.to_vec()),
            Layer::SoftMax | Layer::LogSoftMax => {
                if !matches!(x.len(), 1 | 2) {
                    return Err(TorchError::new(format!(
                        "{name}: vector or matrix expected, got {}",
                        shape_text(x)
                    )));
                }
                Ok(x.to_vec())
            }
            Layer::Dropout => {
                if sizes[1] != x {
                    return Err(mismatch(name, &[("input", x), ("mask", sizes[1])]));
                }
                Ok(x.to_vec())
            }
            Layer::View(to) => {
                let n: usize = x.iter().product();
                let m = crate::tensor::element_count(to)?;
                if n != m {
                    return Err(TorchError::new(format!(
                        "{name}: cannot view an input of size {} ({n} elements) as {} ({m} elements)",
                        shape_text(x),
                        shape_text(to)
                    )));
                }
                Ok(to.clone())
            }
            Layer::Conv { stride, pad } => {
                let (w, b) = (sizes[1], sizes[2]);
                let batch = x.len() == 4;
                let ok = matches!(x.len(), 3 | 4)
                    && w.len() == 4
                    && x[x.len() - 3] == w[1]
                    && b == [w[0]];
                let bad = || mismatch(name, &[("input", x), ("weight", w), ("bias", b)]);
                if !ok {
                    return Err(bad());
                }
                let (h, wd) = (x[x.len() - 2], x[x.len() - 1]);
                let oh = out_len(h, w[2], *stride, *pad).ok_or_else(bad)?;
                let ow = out_len(wd, w[3], *stride, *pad).ok_or_else(bad)?;
                let mut out = if batch { vec![x[0]] } else { vec![] };
                out.extend([w[0], oh, ow]);
                // Candle convolves through an unfolded copy of the input (one row of
                // c*kh*kw values per output position): it must fit the allocation limit
                // too, checked here before candle allocates it.
                let positions = crate::tensor::element_count(&out)? / w[0].max(1);
                let unfolded = positions.checked_mul(w[1] * w[2] * w[3]).ok_or_else(bad)?;
                crate::storage::check_alloc(unfolded, crate::storage::DType::F64)?;
                Ok(out)
            }
            Layer::MaxPool { kernel, stride } => {
                let bad = || {
                    TorchError::new(format!(
                        "{name}: input of size {} is too small for kernel {}x{} (or it is not 3-d or 4-d, or the stride {}x{} is not the kernel)",
                        shape_text(x),
                        kernel.1,
                        kernel.0,
                        stride.1,
                        stride.0
                    ))
                };
                if !matches!(x.len(), 3 | 4) || kernel != stride {
                    return Err(bad());
                }
                let n = x.len();
                let oh = out_len(x[n - 2], kernel.0, stride.0, 0).ok_or_else(bad)?;
                let ow = out_len(x[n - 1], kernel.1, stride.1, 0).ok_or_else(bad)?;
                let mut out = x[..n - 2].to_vec();
                out.extend([oh, ow]);
                Ok(out)
            }
        }
    }

    /// The output of the layer on `xs` (input, then parameters or mask), whose sizes
    /// passed [`Layer::output_sizes`].
    pub fn forward(&self, xs: &[Ct]) -> Result<Ct, TorchError> {
        let x = &xs[0];
        let feature_dim = if x.rank() == 1 { 0 } else { 1 };
        Ok(match self {
            Layer::Linear { bias } => {
                let batch = if x.rank() == 1 {
                    x.unsqueeze(0)?
                } else {
                    x.clone()
                };
                let mut y = batch.matmul(&xs[1].t()?)?;
                if *bias {
                    y = y.broadcast_add(&xs[2])?;
                }
                if x.rank() == 1 {
                    y.squeeze(0)?
                } else {
                    y
                }
            }
            Layer::ReLU => x.relu()?,
            Layer::Tanh => x.tanh()?,
            // As torch.sigmoid computes it, 1 / (1 + e^-x).
            Layer::Sigmoid => (x.neg()?.exp()? + 1.0)?.recip()?,
            Layer::SoftMax => {
                let e = shifted(x, feature_dim)?.exp()?;
                e.broadcast_div(&e.sum_keepdim(feature_dim)?)?
            }
            Layer::LogSoftMax => log_softmax(x, feature_dim)?,
            Layer::Dropout => (x * &xs[1])?,
            Layer::View(to) => x.reshape(to.as_slice())?,
            Layer::Conv { stride, pad } => {
                let batch = if x.rank() == 3 {
                    x.unsqueeze(0)?
                } else {
                    x.clone()
                };
                let y = batch.conv2d(&xs[1], *pad, *stride, 1, 1)?;
                let y = y.broadcast_add(&xs[2].reshape((1, (), 1, 1))?)?;
                if x.rank() == 3 {
                    y.squeeze(0)?
                } else {
                    y
                }
            }
            Layer::MaxPool { kernel, .. } => {
                let batch = if x.rank() == 3 {
                    x.unsqueeze(0)?
                } else {
                    x.clone()
                };
                // Candle's max_pool2d differentiates wrongly (0.11 scales the gradient
                // by 1/(kh*kw), caught by tests/nn_gradcheck.rs), so the pooling is a
                // reshape into windows and two max reductions, whose gradients are right.
                // The stride is the kernel (checked), so the windows tile the input.
                let (n, c, h, w) = batch.dims4()?;
                let (kh, kw) = *kernel;
                let (oh, ow) = (h / kh, w / kw);
                let y = batch
                    .narrow(2, 0, oh * kh)?
                    .narrow(3, 0, ow * kw)?
                    .reshape((n, c, oh, kh, ow, kw))?
                    .max(5)?
                    .max(3)?;
                if x.rank() == 3 {
                    y.squeeze(0)?
                } else {
                    y
                }
            }
        })
    }
}

/// `x - max(x)` along `dim`; the maximum is a constant (detached), which changes
/// neither the value nor the gradient of softmax and keeps `exp` finite.
fn shifted(x: &Ct, dim: usize) -> Result<Ct, TorchError> {
    let m = x.max_keepdim(dim)?.detach();
    Ok(x.broadcast_sub(&m)?)
}

fn log_softmax(x: &Ct, dim: usize) -> Result<Ct, TorchError> {
    let s = shifted(x, dim)?;
    let lse = s.exp()?.sum_keepdim(dim)?.log()?;
    Ok(s.broadcast_sub(&lse)?)
}

/// A criterion's computation: a scalar loss of the input and a constant target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// `sum((x - t)^2)`, divided by the element count when averaging.
    Mse,
    /// `-sum_i x[i, t_i]` over the batch, divided by its size when averaging; the
    /// target is given to [`Loss::forward`] as a one-hot matrix.
    ClassNll,
    /// `ClassNll` of `LogSoftMax(x)`.
    CrossEntropy,
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "nn.MSECriterion",
            Loss::ClassNll => "nn.ClassNLLCriterion",
            Loss::CrossEntropy => "nn.CrossEntropyCriterion",
        }
    }

    /// Checks the input's size; the classification losses need a vector of class
    /// scores or a matrix of them, one row per example.
    pub fn check(self, x: &[usize]) -> Result<(), TorchError> {
        if x.is_empty() {
            return Err(TorchError::new(format!("{}: empty input", self.name())));
        }
        if self != Loss::Mse && !matches!(x.len(), 1 | 2) {
            return Err(TorchError::new(format!(
                "{}: vector or matrix expected, got {}",
                self.name(),
                shape_text(x)
            )));
        }
        Ok(())
    }

    /// The loss of input `x` against `target`: for `Mse` the target values (as many as
    /// `x`), for the others a one-hot tensor of `x`'s shape. `average` is Torch7's
    /// `sizeAverage`.
    pub fn forward(self, x: &Ct, target: &Ct, average: bool) -> Result<Ct, TorchError> {
        let (total, count) = match self {
            Loss::Mse => {
                let d = (x - target.reshape(x.shape())?)?;
                (d.sqr()?.sum_all()?, x.elem_count())
            }
            Loss::ClassNll | Loss::CrossEntropy => {
                let dim = if x.rank() == 1 { 0 } else { 1 };
                let logp = if self == Loss::CrossEntropy {
                    log_softmax(x, dim)?
                } else {
                    x.clone()
                };
                let rows = if x.rank() == 1 { 1 } else { x.dim(0)? };
                ((logp * target)?.sum_all()?.neg()?, rows)
            }
        };
        Ok(if average {
            total.affine(1.0 / count.max(1) as f64, 0.0)?
        } else {
            total
        })
    }
}

/// The one-hot target of a classification loss: class indices (1-based, one per row
/// of an input of size `sizes`) as a row-major tensor of that size.
pub fn one_hot(sizes: &[usize], classes: &[f64], name: &str) -> Result<Vec<f64>, TorchError> {
    let (rows, width) = match sizes {
        [c] => (1, *c),
        [n, c] => (*n, *c),
        _ => return Err(TorchError::new(format!("{name}: bad input size"))),
    };
    if classes.len() != rows {
        return Err(TorchError::new(format!(
            "{name}: {} targets for an input of size {}",
            classes.len(),
            shape_text(sizes)
        )));
    }
    let mut out = vec![0.0; rows * width];
    for (r, &c) in classes.iter().enumerate() {
        let k = c.trunc();
        if !(k >= 1.0 && k <= width as f64) || k != c {
            return Err(TorchError::new(format!(
                "{name}: target {c} out of range: classes are 1 to {width}"
            )));
        }
        out[r * width + k as usize - 1] = 1.0;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_shape_errors_name_the_shapes() {
        let e = Layer::Linear { bias: true }
            .output_sizes(&[&[2, 3], &[4, 5], &[4]])
            .unwrap_err();
        assert_eq!(
            e.0,
            "nn.Linear: size mismatch, input: [2 x 3], weight: [4 x 5], bias: [4]"
        );
        let ok = Layer::Linear { bias: true }.output_sizes(&[&[2, 5], &[4, 5], &[4]]);
        assert_eq!(ok.unwrap(), vec![2, 4]);
    }

    #[test]
    fn one_hot_checks_classes() {
        assert_eq!(
            one_hot(&[2, 3], &[3.0, 1.0], "t").unwrap(),
            vec![0., 0., 1., 1., 0., 0.]
        );
        assert!(one_hot(&[2, 3], &[4.0, 1.0], "t").is_err());
        assert!(one_hot(&[2, 3], &[1.5, 1.0], "t").is_err());
        assert!(one_hot(&[2, 3], &[f64::NAN, 1.0], "t").is_err());
        assert!(one_hot(&[2, 3], &[1.0], "t").is_err());
    }

    #[test]
    fn conv_and_pool_sizes() {
        let c = Layer::Conv { stride: 1, pad: 0 };
        assert_eq!(
            c.output_sizes(&[&[2, 1, 8, 8], &[4, 1, 3, 3], &[4]])
                .unwrap(),
            vec![2, 4, 6, 6]
        );
        assert!(c
            .output_sizes(&[&[2, 1, 2, 2], &[4, 1, 3, 3], &[4]])
            .is_err());
        let p = Layer::MaxPool {
            kernel: (2, 2),
            stride: (2, 2),
        };
        assert_eq!(p.output_sizes(&[&[4, 6, 6]]).unwrap(), vec![4, 3, 3]);
    }
}
