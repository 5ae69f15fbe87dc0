//! The distribution hash: which bucket (tablet) a row belongs to.
//!
//! Loads use it to route rows and queries use it to prune buckets on equality
//! filters, so both compute it from Arrow values of the column's own type.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType,
};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Mixes one column into the per-row hashes. NULL hashes as a marker byte.
fn mix(hashes: &mut [u64], array: &dyn Array) {
    macro_rules! prim {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            for (i, h) in hashes.iter_mut().enumerate() {
                *h = if a.is_null(i) {
                    fnv(*h, &[0xff])
                } else {
                    fnv(*h, &$conv(a.value(i)))
                };
            }
        }};
    }
    match array.data_type() {
        DataType::Int8 => prim!(Int8Type, |v: i8| i64::from(v).to_le_bytes()),
        DataType::Int16 => prim!(Int16Type, |v: i16| i64::from(v).to_le_bytes()),
        DataType::Int32 => prim!(Int32Type, |v: i32| i64::from(v).to_le_bytes()),
        DataType::Int64 => prim!(Int64Type, |v: i64| v.to_le_bytes()),
        DataType::Date32 => prim!(Date32Type, |v: i32| i64::from(v).to_le_bytes()),
        DataType::Timestamp(_, _) => prim!(TimestampMicrosecondType, |v: i64| v.to_le_bytes()),
        DataType::Decimal128(_, _) => prim!(Decimal128Type, |v: i128| v.to_le_bytes()),
        DataType::Float32 => prim!(Float32Type, |v: f32| f64::from(v).to_bits().to_le_bytes()),
        DataType::Float64 => prim!(Float64Type, |v: f64| v.to_bits().to_le_bytes()),
        DataType::Boolean => {
            let a = array.as_boolean();
            for (i, h) in hashes.iter_mut().enumerate() {
                *h = if a.is_null(i) {
                    fnv(*h, &[0xff])
                } else {
                    fnv(*h, &[u8::from(a.value(i))])
                };
            }
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            for (i, h) in hashes.iter_mut().enumerate() {
                *h = if a.is_null(i) {
                    fnv(*h, &[0xff])
                } else {
                    fnv(*h, a.value(i).as_bytes())
                };
            }
        }
        // Other types are never distribution columns (the analyzer refuses them).
        _ => {}
    }
}

/// Hashes of every row over the given distribution columns.
pub fn hash_rows(columns: &[ArrayRef], rows: usize) -> Vec<u64> {
    let mut hashes = vec![FNV_OFFSET; rows];
    for c in columns {
        mix(&mut hashes, c.as_ref());
    }
    hashes
}

/// The bucket of a hash.
pub fn bucket(hash: u64, buckets: u32) -> usize {
    (hash % u64::from(buckets.max(1))) as usize
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn equal_values_hash_equally_whatever_the_batch() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 2]));
        let h = hash_rows(&[a], 4);
        assert_eq!(h[1], h[3]);
        assert_ne!(h[0], h[1]);
        let single: ArrayRef = Arc::new(Int64Array::from(vec![2]));
        assert_eq!(hash_rows(&[single], 1)[0], h[1]);
        // Width does not matter: an INT 2 and a BIGINT 2 land in the same bucket.
        let narrow: ArrayRef = Arc::new(Int32Array::from(vec![2]));
        assert_eq!(hash_rows(&[narrow], 1)[0], h[1]);
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("x"), None]));
        let hs = hash_rows(&[s], 2);
        assert_ne!(hs[0], hs[1]);
    }
}
