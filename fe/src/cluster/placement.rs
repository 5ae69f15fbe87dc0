//! Choosing backends for tablet replicas.

use catalog::Backend;

use crate::error::FeError;

/// Picks `replication_num` distinct backends for each of `tablets` tablets,
/// rotating the starting backend so replicas spread evenly. `seed` varies the
/// rotation between tables.
pub fn place_replicas(
    alive: &[Backend],
    tablets: usize,
    replication_num: usize,
    seed: usize,
) -> Result<Vec<Vec<Backend>>, FeError> {
    if replication_num == 0 || replication_num > alive.len() {
        let ids: Vec<String> = alive.iter().map(|b| b.id.to_string()).collect();
        if alive.is_empty() && replication_num == 1 {
            return Err(FeError::common("No alive nodes"));
        }
        return Err(FeError::common(format!(
            "Table replication num should be less than or equal to the number of available BE nodes. \
             You can change this default by setting the replication_num table properties. \
             Current alive backend is [{}]. ",
            ids.join(",")
        )));
    }
    let mut out = Vec::with_capacity(tablets);
    for t in 0..tablets {
        let start = (seed + t) % alive.len();
        out.push(
            (0..replication_num)
                .map(|r| alive[(start + r) % alive.len()].clone())
                .collect(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn be(id: u64) -> Backend {
        Backend {
            id,
            host: "h".into(),
            port: id as u16,
            added_ms: 0,
        }
    }

    #[test]
    fn replicas_are_distinct_and_spread() {
        let alive = vec![be(1), be(2), be(3)];
        let placed = place_replicas(&alive, 6, 2, 0).unwrap();
        let mut per_be = [0; 4];
        for replicas in &placed {
            assert_ne!(replicas[0].id, replicas[1].id);
            for r in replicas {
                per_be[r.id as usize] += 1;
            }
        }
        assert_eq!(&per_be[1..], &[4, 4, 4]);
    }

    #[test]
    fn too_few_backends_is_starrocks_error() {
        let err = place_replicas(&[be(10001)], 1, 3, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Table replication num should be less than or equal to the number of available BE nodes. \
             You can change this default by setting the replication_num table properties. \
             Current alive backend is [10001]. "
        );
        assert_eq!(
            place_replicas(&[], 1, 1, 0).unwrap_err().to_string(),
            "No alive nodes"
        );
    }
}
