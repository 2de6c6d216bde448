//! A recorded forward pass and its differentiation by candle's autograd.
//!
//! [`Graph::record`] copies the input and the parameters into candle `Var`s and runs a
//! computation on them, so candle keeps the operations that led to the output. A
//! module's `backward(x, gradOutput)` is then [`Graph::grads`] with `gradOutput`: the
//! gradients, with respect to every `Var`, of `sum(output * gradOutput)`, whose gradient
//! with respect to the output is exactly `gradOutput` (so this is the vector-Jacobian
//! product Torch7's `updateGradInput`/`accGradParameters` compute by hand). A
//! criterion's output is a scalar: its gradients are those of the output itself.

use crate::error::{shape_text, TorchError};
use crate::storage::DType;
use crate::tensor::Tensor;
use candle_core::{Tensor as Ct, Var};

/// The record of one forward pass: the leaves (input first, then the parameters)
/// and the output, whose candle graph reaches back to them.
pub struct Graph {
    vars: Vec<Var>,
    /// The leaves' sizes as cube has them (a leaf with no dimension is `[0]` in
    /// candle), so gradients come back with the leaves' own sizes.
    sizes: Vec<Vec<usize>>,
    output: Ct,
    dtype: DType,
}

impl Graph {
    /// Runs `f` on `Var` copies of `leaves`, recording it. Every leaf must have the
    /// first one's element type.
    pub fn record(
        leaves: &[&Tensor],
        f: impl FnOnce(&[Ct]) -> Result<Ct, TorchError>,
    ) -> Result<Graph, TorchError> {
        let dtype = leaves
            .first()
            .map(|t| t.dtype())
            .ok_or_else(|| TorchError::new("nothing to record"))?;
        if let Some(other) = leaves.iter().find(|t| t.dtype() != dtype) {
            return Err(TorchError::new(format!(
                "type mismatch: the input is a {} and a parameter a {}",
                dtype.tensor_name(),
                other.dtype().tensor_name()
            )));
        }
        let mut vars = Vec::with_capacity(leaves.len());
        for t in leaves {
            vars.push(Var::from_tensor(&t.to_candle()?)?);
        }
        let xs: Vec<Ct> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let output = f(&xs)?;
        Ok(Graph {
            vars,
            sizes: leaves.iter().map(|t| t.sizes().to_vec()).collect(),
            output,
            dtype,
        })
    }

    /// The output as a new cube tensor.
    pub fn output(&self) -> Result<Tensor, TorchError> {
        Tensor::from_candle(&self.output, self.dtype)
    }

    /// The output of a criterion, a scalar.
    pub fn scalar(&self) -> Result<f64, TorchError> {
        Ok(self
            .output
            .to_dtype(candle_core::DType::F64)?
            .to_scalar::<f64>()?)
    }

    pub fn output_elements(&self) -> usize {
        self.output.elem_count()
    }

    /// The gradients of every leaf, in order: of `sum(output * grad_output)`, or of the
    /// (scalar) output itself when `grad_output` is `None`. A leaf the output does
    /// not depend on gets zeros.
    pub fn grads(&self, grad_output: Option<&Tensor>) -> Result<Vec<Tensor>, TorchError> {
        let objective = match grad_output {
            Some(g) => {
                if g.numel() != self.output.elem_count() {
                    return Err(TorchError::new(format!(
                        "backward: gradOutput of size {} for an output of size {}",
                        shape_text(g.sizes()),
                        shape_text(self.output.dims())
                    )));
                }
                let g = g
                    .to_candle()?
                    .to_dtype(self.dtype.candle())?
                    .reshape(self.output.shape())?;
                (&self.output * g)?.sum_all()?
            }
            None => self.output.sum_all()?,
        };
        let store = objective.backward()?;
        let mut out = Vec::with_capacity(self.vars.len());
        for (v, sizes) in self.vars.iter().zip(&self.sizes) {
            let t = match store.get(v.as_tensor()) {
                Some(g) => Tensor::from_candle(g, self.dtype)?,
                None => Tensor::zeros(self.dtype, sizes)?,
            };
            // Candle's gradient has the leaf's candle shape; give it cube's.
            let t = if t.sizes() == sizes.as_slice() || t.numel() == 0 {
                t
            } else {
                t.view(sizes)?
            };
            out.push(t);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_of_a_product_is_the_other_factor() {
        let a = Tensor::from_values(DType::F64, &[3], vec![1.0, 2.0, 3.0]).unwrap();
        let b = Tensor::from_values(DType::F64, &[3], vec![4.0, 5.0, 6.0]).unwrap();
        let g = Graph::record(&[&a, &b], |xs| Ok((&xs[0] * &xs[1])?)).unwrap();
        let ones = Tensor::from_values(DType::F64, &[3], vec![1.0; 3]).unwrap();
        let grads = g.grads(Some(&ones)).unwrap();
        assert_eq!(grads[0].contiguous_values(), vec![4.0, 5.0, 6.0]);
        assert_eq!(grads[1].contiguous_values(), vec![1.0, 2.0, 3.0]);
        let bad = Tensor::from_values(DType::F64, &[2], vec![1.0; 2]).unwrap();
        assert!(g.grads(Some(&bad)).is_err());
    }
}
