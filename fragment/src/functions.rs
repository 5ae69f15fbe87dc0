//! MySQL functions DataFusion lacks but clients send.

use arrow::array::{Array, AsArray};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, is_null, not, or_kleene};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `IF(condition, then, else)` (JDBC's `getTables` uses it).
#[derive(Debug, PartialEq, Eq, Hash)]
struct IfFunc {
    signature: Signature,
}

impl ScalarUDFImpl for IfFunc {
    fn name(&self) -> &str {
        "if"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [_, DataType::Null, other] | [_, other, _] => Ok(other.clone()),
            _ => exec_err!("IF takes three arguments"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [cond, then, otherwise] = args.args.as_slice() else {
            return exec_err!("IF takes three arguments");
        };
        let out_type = args.return_field.data_type().clone();
        let cond = cast(&cond.to_array(rows)?, &DataType::Boolean)?;
        // NULL conditions choose the else branch, as in MySQL.
        let cond = cond.as_boolean();
        let take_else = or_kleene(&not(cond)?, &is_null(cond)?)?;
        let mask = not(&take_else)?;
        let then = cast(&then.to_array(rows)?, &out_type)?;
        let otherwise = cast(&otherwise.to_array(rows)?, &out_type)?;
        let out = zip(&mask, &then, &otherwise)?;
        debug_assert_eq!(out.len(), rows);
        Ok(ColumnarValue::Array(out))
    }
}

/// `LOCATE(substr, str)`: 1-based character position of `substr` in `str`, 0 if absent.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Locate {
    signature: Signature,
}

impl ScalarUDFImpl for Locate {
    fn name(&self) -> &str {
        "locate"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [needle, haystack] = args.args.as_slice() else {
            return exec_err!("LOCATE takes two arguments");
        };
        let needle = cast(&needle.to_array(rows)?, &DataType::Utf8)?;
        let haystack = cast(&haystack.to_array(rows)?, &DataType::Utf8)?;
        let (needle, haystack) = (needle.as_string::<i32>(), haystack.as_string::<i32>());
        let out: arrow::array::Int64Array = (0..rows)
            .map(|i| {
                if needle.is_null(i) || haystack.is_null(i) {
                    return None;
                }
                let h = haystack.value(i);
                Some(
                    h.find(needle.value(i))
                        .map_or(0, |byte| h[..byte].chars().count() as i64 + 1),
                )
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(out)))
    }
}

/// MySQL's `SUBSTRING(str, pos[, len])`: 1-based `pos`, negative `pos` counts
/// from the end, a `len` below 1 gives '' (DataFusion's errors instead).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Substring {
    signature: Signature,
}

impl ScalarUDFImpl for Substring {
    fn name(&self) -> &str {
        "mysql_substring"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        if args.args.len() < 2 || args.args.len() > 3 {
            return exec_err!("SUBSTRING takes two or three arguments");
        }
        let text = cast(&args.args[0].to_array(rows)?, &DataType::Utf8)?;
        let pos = cast(&args.args[1].to_array(rows)?, &DataType::Int64)?;
        let len = match args.args.get(2) {
            Some(l) => Some(cast(&l.to_array(rows)?, &DataType::Int64)?),
            None => None,
        };
        let text = text.as_string::<i32>();
        let pos = pos.as_primitive::<arrow::datatypes::Int64Type>();
        let len = len
            .as_ref()
            .map(|l| l.as_primitive::<arrow::datatypes::Int64Type>());
        let out: arrow::array::StringArray = (0..rows)
            .map(|i| {
                if text.is_null(i) || pos.is_null(i) || len.is_some_and(|l| l.is_null(i)) {
                    return None;
                }
                let chars: Vec<char> = text.value(i).chars().collect();
                let n = chars.len() as i64;
                let p = pos.value(i);
                let start = match p {
                    0 => return Some(String::new()),
                    p if p > 0 => p - 1,
                    p => n + p,
                };
                if start < 0 || start >= n {
                    return Some(String::new());
                }
                let take = len.map_or(n - start, |l| l.value(i).max(0)).min(n - start);
                Some(chars[start as usize..(start + take) as usize].iter().collect())
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(out)))
    }
}

/// Functions to register in every query session.
pub fn all() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::from(IfFunc {
            signature: Signature::any(3, Volatility::Immutable),
        }),
        ScalarUDF::from(Locate {
            signature: Signature::any(2, Volatility::Immutable),
        }),
        ScalarUDF::from(Substring {
            signature: Signature::variadic_any(Volatility::Immutable),
        }),
        // MySQL's names for UPPER and LOWER.
        datafusion::functions::string::upper()
            .as_ref()
            .clone()
            .with_aliases(["ucase"]),
        datafusion::functions::string::lower()
            .as_ref()
            .clone()
            .with_aliases(["lcase"]),
    ]
}

/// Registers [`all`] in `ctx`: every context that plans or runs Starling's
/// SQL (FE queries, Stream Load `columns`, BE fragments) has the same functions.
pub fn register(ctx: &datafusion::prelude::SessionContext) {
    for f in all() {
        ctx.register_udf(f);
    }
}
