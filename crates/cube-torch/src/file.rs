//! `torch.save` / `torch.load` in the safetensors format (the one PyTorch, numpy and
//! candle read), instead of Torch7's own serialization.
//!
//! A file holds named tensors. `torch.save(path, t)` writes one tensor named
//! `tensor` with the metadata `cube.torch = tensor`, and `torch.load` gives back a
//! tensor for such a file; any other file (a table saved by cube, or one written by
//! Python) loads as a table of named tensors. Float32 and float64 tensors are read;
//! other element types are an error naming the type. A corrupt or truncated file is an
//! error (the safetensors crate validates the header and every offset), never a panic.

use crate::error::TorchError;
use crate::storage::{check_alloc, Buffer, DType};
use crate::tensor::{element_count, Tensor};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::HashMap;

/// The metadata key that marks a file saved from a single tensor.
const KIND_KEY: &str = "cube.torch";
/// The name of the tensor in such a file.
pub const SINGLE_NAME: &str = "tensor";

/// What a file holds.
pub enum Loaded {
    Single(Tensor),
    Named(Vec<(String, Tensor)>),
}

fn le_bytes(t: &Tensor) -> Vec<u8> {
    let values = t.contiguous_values();
    match t.dtype() {
        DType::F32 => values
            .iter()
            .flat_map(|v| (*v as f32).to_le_bytes())
            .collect(),
        DType::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// Writes named tensors (`single`: the file is one tensor, see the module doc).
pub fn save(path: &str, tensors: &[(String, Tensor)], single: bool) -> Result<(), TorchError> {
    let data: Vec<(String, Vec<usize>, StDtype, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let dtype = match t.dtype() {
                DType::F32 => StDtype::F32,
                DType::F64 => StDtype::F64,
            };
            (name.clone(), t.sizes().to_vec(), dtype, le_bytes(t))
        })
        .collect();
    let mut views = Vec::with_capacity(data.len());
    for (name, shape, dtype, bytes) in &data {
        let view = TensorView::new(*dtype, shape.clone(), bytes)
            .map_err(|e| TorchError::new(format!("torch.save: {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let metadata = single.then(|| HashMap::from([(KIND_KEY.to_string(), SINGLE_NAME.to_string())]));
    let bytes = safetensors::serialize(views, metadata)
        .map_err(|e| TorchError::new(format!("torch.save: {e}")))?;
    std::fs::write(path, bytes).map_err(|e| TorchError::new(format!("torch.save: {path}: {e}")))
}

fn tensor_of(name: &str, view: &TensorView<'_>) -> Result<Tensor, TorchError> {
    let sizes = view.shape().to_vec();
    let n = element_count(&sizes)?;
    let bytes = view.data();
    let buffer = match view.dtype() {
        StDtype::F32 => {
            check_alloc(n, DType::F32)?;
            Buffer::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        }
        StDtype::F64 => {
            check_alloc(n, DType::F64)?;
            Buffer::F64(
                bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            )
        }
        other => {
            return Err(TorchError::new(format!(
                "torch.load: tensor {name} has element type {other:?}; cube reads F32 and F64"
            )))
        }
    };
    if buffer.len() != n {
        return Err(TorchError::new(format!(
            "torch.load: tensor {name}: wrong data length"
        )));
    }
    // A shape with no dimension is a 0-d scalar in safetensors; cube has no scalars,
    // so it becomes a 1-element vector. A shape with a zero in it holds no element:
    // Torch7's one empty tensor, with no dimension.
    let sizes = match (sizes.is_empty(), n) {
        (true, _) => vec![1],
        (false, 0) => vec![],
        (false, _) => sizes,
    };
    Ok(Tensor::with_buffer(buffer, &sizes))
}

/// Parses a file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Loaded, TorchError> {
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| TorchError::new(format!("torch.load: not a valid safetensors file ({e})")))?;
    let single = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(KIND_KEY))
        .is_some_and(|k| k == SINGLE_NAME);
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| TorchError::new(format!("torch.load: not a valid safetensors file ({e})")))?;
    let mut named = Vec::new();
    for (name, view) in st.tensors() {
        named.push((name.clone(), tensor_of(&name, &view)?));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    if single && named.len() == 1 && named[0].0 == SINGLE_NAME {
        if let Some((_, t)) = named.pop() {
            return Ok(Loaded::Single(t));
        }
    }
    Ok(Loaded::Named(named))
}

pub fn load(path: &str) -> Result<Loaded, TorchError> {
    let bytes =
        std::fs::read(path).map_err(|e| TorchError::new(format!("torch.load: {path}: {e}")))?;
    parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_bytes_are_errors() {
        for bytes in [
            &b""[..],
            &b"\x08\x00\x00\x00\x00\x00\x00\x00{}"[..],
            &b"\xff\xff\xff\xff\xff\xff\xff\xff{}"[..],
            &b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":\"F64\",\"shape\":[1000000000,1000000000],\"data_offsets\":[0,8]}}"[..],
        ] {
            assert!(parse(bytes).is_err());
        }
    }

    #[test]
    fn round_trip_in_memory() {
        let path = std::env::temp_dir().join(format!(
            "torch-file-test-{}.safetensors",
            std::process::id()
        ));
        let path = path.to_str().unwrap();
        let t = Tensor::from_values(DType::F32, &[2, 2], vec![1.0, 2.0, 3.5, -4.0]).unwrap();
        save(
            path,
            &[(SINGLE_NAME.to_string(), t.transpose(0, 1).unwrap())],
            true,
        )
        .unwrap();
        match load(path).unwrap() {
            Loaded::Single(u) => {
                assert_eq!(u.dtype(), DType::F32);
                assert_eq!(u.contiguous_values(), vec![1.0, 3.5, 2.0, -4.0]);
            }
            Loaded::Named(_) => panic!("expected a single tensor"),
        }
        let _ = std::fs::remove_file(path);
    }
}
