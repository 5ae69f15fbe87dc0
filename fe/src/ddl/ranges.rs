//! Range partitions: bounds from `VALUES LESS THAN` / `VALUES [a, b)` and the
//! overlap checks StarRocks makes.

use catalog::{ColumnType, KeyPart, PartitionKey, PartitionRange};
use parser::ast::{PartitionValue, RangeValues};

use crate::error::{ErrorCode, FeError};

/// Converts literal values to a key for the partition column types, padding
/// missing trailing columns with `pad` (StarRocks allows short keys).
fn key(values: &[PartitionValue], types: &[ColumnType], pad: KeyPart) -> Result<PartitionKey, FeError> {
    if values.len() > types.len() {
        return Err(FeError::analysis(format!(
            "Partition values number is more than partition column number: {}",
            types.len()
        )));
    }
    let mut parts = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        let part = match values.get(i) {
            None => pad.clone(),
            Some(PartitionValue::MaxValue) => KeyPart::Max,
            Some(PartitionValue::Value(text)) => KeyPart::parse(ty, text).map_err(FeError::analysis)?,
        };
        parts.push(part);
    }
    Ok(PartitionKey(parts))
}

/// Computes the range of a new partition given the ranges that already exist
/// (in the table, or declared earlier in the same statement), and checks that it
/// overlaps none of them.
pub fn new_range(
    values: &RangeValues,
    types: &[ColumnType],
    existing: &[&PartitionRange],
) -> Result<PartitionRange, FeError> {
    let range = match values {
        RangeValues::LessThan(upper) => {
            let upper = key(upper, types, KeyPart::Min)?;
            // The lower bound is the closest existing upper bound at or below.
            let lower = existing
                .iter()
                .map(|r| &r.upper)
                .filter(|u| **u <= upper)
                .max()
                .cloned()
                .unwrap_or_else(|| PartitionKey::min(types.len()));
            PartitionRange { lower, upper }
        }
        RangeValues::Fixed { lower, upper } => {
            let lower = key(lower, types, KeyPart::Min)?;
            let upper = key(upper, types, KeyPart::Min)?;
            PartitionRange { lower, upper }
        }
    };
    if range.lower >= range.upper {
        return Err(FeError::common(format!(
            "The lower values must smaller than upper values: {}",
            range.describe(types)
        )));
    }
    for other in existing {
        if range.intersects(other) {
            return Err(FeError::common(format!(
                "Range {} is intersected with range: {}",
                range.describe(types),
                other.describe(types)
            )));
        }
    }
    Ok(range)
}

/// The error for a partition name used twice.
pub fn duplicate_name(name: &str) -> FeError {
    FeError::exec(
        ErrorCode::SameNamePartition,
        format!("Duplicate partition name {name}"),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lt(v: &str) -> RangeValues {
        RangeValues::LessThan(vec![PartitionValue::Value(v.into())])
    }

    #[test]
    fn less_than_takes_lower_bound_from_neighbours() {
        let types = [ColumnType::Date];
        let a = new_range(&lt("2020-02-01"), &types, &[]).unwrap();
        assert_eq!(a.lower, PartitionKey::min(1));
        let c = new_range(&lt("2020-04-01"), &types, &[&a]).unwrap();
        assert_eq!(c.lower, a.upper);
        // Declared out of order: fits between a and c? No: c already covers it.
        let err = new_range(&lt("2020-03-01"), &types, &[&a, &c]).unwrap_err();
        assert!(err.to_string().contains("is intersected with range"), "{err}");
    }

    #[test]
    fn fixed_ranges_must_not_overlap_and_must_be_ordered() {
        let types = [ColumnType::Int];
        let fixed = |a: &str, b: &str| RangeValues::Fixed {
            lower: vec![PartitionValue::Value(a.into())],
            upper: vec![PartitionValue::Value(b.into())],
        };
        let a = new_range(&fixed("0", "10"), &types, &[]).unwrap();
        assert!(new_range(&fixed("10", "20"), &types, &[&a]).is_ok());
        let err = new_range(&fixed("5", "20"), &types, &[&a]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Range [types: [INT]; keys: [5]; ..types: [INT]; keys: [20]; ) is intersected with range: \
             [types: [INT]; keys: [0]; ..types: [INT]; keys: [10]; )"
        );
        assert!(new_range(&fixed("20", "10"), &types, &[]).is_err());
    }
}
