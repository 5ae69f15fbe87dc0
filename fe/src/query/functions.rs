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

/// Functions to register in every query session.
pub fn all() -> Vec<ScalarUDF> {
    vec![ScalarUDF::from(IfFunc {
        signature: Signature::any(3, Volatility::Immutable),
    })]
}
