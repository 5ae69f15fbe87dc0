//! Fragment bytes: `datafusion-proto` with an extension for [`TabletInput`].

use std::sync::{Arc, OnceLock};

use arrow::datatypes::Schema;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, exec_datafusion_err, exec_err, not_impl_err};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::prelude::SessionContext;
use datafusion_proto::bytes::{
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use prost::Message;

use crate::input::{RowSource, TabletInput};

/// The version of a [`TabletInput`] extension payload. A BE refuses payloads
/// of another version rather than misreading them.
const INPUT_VERSION: u8 = 1;

/// Encodes [`TabletInput`] as its schema; decodes it with `source`, if any.
struct Codec {
    source: Option<RowSource>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("has_source", &self.source.is_some())
            .finish()
    }
}

impl PhysicalExtensionCodec for Codec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !inputs.is_empty() {
            return exec_err!("a fragment's only extension node is TabletInput, which has no inputs");
        }
        let Some((&version, schema)) = buf.split_first() else {
            return exec_err!("empty TabletInput payload");
        };
        if version != INPUT_VERSION {
            return exec_err!("TabletInput payload version {version}, expected {INPUT_VERSION}");
        }
        let proto = datafusion_proto::protobuf::Schema::decode(schema)
            .map_err(|e| exec_datafusion_err!("bad TabletInput schema: {e}"))?;
        let schema = Arc::new(Schema::try_from(&proto)?);
        Ok(Arc::new(match &self.source {
            Some(source) => TabletInput::with_source(schema, Arc::clone(source)),
            None => TabletInput::placeholder(schema),
        }))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(input) = node.downcast_ref::<TabletInput>() else {
            return not_impl_err!("{} cannot run on a backend", node.name());
        };
        let proto = datafusion_proto::protobuf::Schema::try_from(input.schema().as_ref())?;
        buf.push(INPUT_VERSION);
        proto
            .encode(buf)
            .map_err(|e| exec_datafusion_err!("encoding TabletInput: {e}"))
    }
}

/// The bytes of `plan`, whose only leaf is a [`TabletInput`] placeholder.
pub fn encode(plan: Arc<dyn ExecutionPlan>) -> Result<Vec<u8>> {
    let bytes = physical_plan_to_bytes_with_extension_codec(plan, &Codec { source: None })?;
    Ok(bytes.to_vec())
}

/// The plan in `bytes`, its [`TabletInput`] reading from `source` (a
/// placeholder without one, for checking that a plan decodes). Only the
/// operators the FE pushes are accepted: a fragment that named, say, a file
/// scan would let whoever reaches a BE's port read its files.
pub fn decode(bytes: &[u8], source: Option<RowSource>) -> Result<Arc<dyn ExecutionPlan>> {
    let plan = physical_plan_from_bytes_with_extension_codec(bytes, &task_context(), &Codec { source })?;
    plan.apply(|node| {
        let allowed = node.is::<AggregateExec>()
            || node.is::<FilterExec>()
            || node.is::<ProjectionExec>()
            || node.is::<TabletInput>();
        if !allowed {
            return exec_err!("{} is not allowed in a fragment", node.name());
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(plan)
}

/// A context with DataFusion's functions and Starling's, to decode and run
/// fragments with.
pub fn task_context() -> Arc<TaskContext> {
    static CONTEXT: OnceLock<SessionContext> = OnceLock::new();
    CONTEXT
        .get_or_init(|| {
            let ctx = SessionContext::new();
            crate::functions::register(&ctx);
            ctx
        })
        .task_ctx()
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field};
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::memory::MemoryStream;
    use datafusion::physical_plan::{collect, displayable};

    use super::*;

    fn rows() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    None,
                    Some("b"),
                ])),
                Arc::new(Int64Array::from(vec![Some(1), Some(2), Some(3), Some(4), None])),
            ],
        )
        .expect("batch")
    }

    /// A plan for `sql` over `rows()` with its scan replaced by a placeholder.
    async fn fragment_for(sql: &str) -> (Arc<dyn ExecutionPlan>, Vec<RecordBatch>) {
        // One partition: no repartitioning, as in a pushed fragment.
        let ctx = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_target_partitions(1),
        );
        crate::functions::register(&ctx);
        let batch = rows();
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        let df = ctx.sql(sql).await.expect("plan");
        let plan = df.clone().create_physical_plan().await.expect("physical plan");
        let expected = df.collect().await.expect("run");
        let plan = plan
            .transform_up(|node| {
                if node.children().is_empty() {
                    let input: Arc<dyn ExecutionPlan> = Arc::new(TabletInput::placeholder(node.schema()));
                    return Ok(Transformed::yes(input));
                }
                Ok(Transformed::no(node))
            })
            .expect("swap leaf")
            .data;
        (plan, expected)
    }

    #[tokio::test]
    async fn a_fragment_runs_where_it_is_decoded() {
        let sql = "SELECT k, SUM(v) AS s, COUNT(*) AS n, AVG(v) AS a, MAX(if(v > 1, ucase(k), 'x')) AS m \
                   FROM t WHERE v IS NULL OR v < 4 GROUP BY k";
        let (plan, expected) = fragment_for(sql).await;
        let bytes = encode(Arc::clone(&plan)).expect("encode");

        let batch = rows();
        let source: RowSource = Arc::new(move |schema| {
            assert_eq!(schema, batch.schema());
            let stream = MemoryStream::try_new(vec![batch.clone()], schema, None)?;
            Ok(Box::pin(stream) as datafusion::execution::SendableRecordBatchStream)
        });
        let decoded = decode(&bytes, Some(source)).expect("decode");
        assert_eq!(
            displayable(decoded.as_ref()).indent(true).to_string(),
            displayable(plan.as_ref()).indent(true).to_string()
        );
        let got = collect(decoded, task_context()).await.expect("run fragment");
        // Rows in any order (no ORDER BY: a fragment does not sort).
        let lines = |b: &[RecordBatch]| {
            let text = arrow::util::pretty::pretty_format_batches(b)
                .expect("format")
                .to_string();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.sort();
            lines
        };
        assert_eq!(lines(&got), lines(&expected));
        assert_eq!(got.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    }

    #[tokio::test]
    async fn only_pushed_operators_decode() {
        let ctx = SessionContext::new();
        let batch = rows();
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        // Sorting is not pushed, and a scan of anything but the tablet never is.
        let (sorted, _) = fragment_for("SELECT k FROM t ORDER BY k").await;
        let err = decode(&encode(sorted).expect("encode"), None).expect_err("refused");
        assert!(
            err.to_string().contains("SortExec is not allowed in a fragment"),
            "{err}"
        );
        let scan = ctx
            .sql("SELECT * FROM t")
            .await
            .expect("plan")
            .create_physical_plan()
            .await
            .expect("physical");
        let bytes = encode(scan).expect("a memory scan encodes");
        let err = decode(&bytes, None).expect_err("refused");
        assert!(
            err.to_string()
                .contains("DataSourceExec is not allowed in a fragment"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_placeholder_does_not_run_and_bad_payloads_are_refused() {
        let (plan, _) = fragment_for("SELECT SUM(v) FROM t").await;
        let decoded = decode(&encode(plan).expect("encode"), None).expect("decode");
        let err = collect(decoded, task_context()).await.expect_err("no source");
        assert!(err.to_string().contains("runs only on a backend"), "{err}");

        let codec = Codec { source: None };
        let conv = datafusion_proto::physical_plan::DefaultPhysicalProtoConverter {};
        let ctx = task_context();
        for (payload, want) in [(&[][..], "empty"), (&[9u8, 0][..], "version 9")] {
            let err = codec.try_decode(payload, &[], &ctx, &conv).expect_err("refused");
            assert!(err.to_string().contains(want), "{err}");
        }
    }
}
