import { useMutation, useQueryClient } from "@tanstack/react-query";

import { asProblem, unwrap } from "../../api/client";
import { useI18n } from "../../i18n/i18n";
import { navigate } from "../../lib/router";
import { useSession } from "../../lib/session";
import { ProblemBanner } from "../Problem";
import { isActive, type Execution } from "./model";

/**
 * ExecutionActions are the buttons of an editor or admin: Cancel while the
 * execution is pending or running (cancel-execution), Retry once it ended
 * (retry-execution: a new manual execution of its task, opened at once).
 */
export function ExecutionActions({ namespace, execution }: { namespace: string; execution: Execution }) {
  const { t } = useI18n();
  const { api } = useSession();
  const qc = useQueryClient();
  const id = execution.id;

  const cancel = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/executions/{id}/cancel", { params: { path: { id }, query: { namespace } } })),
    onSuccess: (x) => {
      qc.setQueryData(["execution", namespace, id], x);
      void qc.invalidateQueries({ queryKey: ["execution", namespace, id] });
      void qc.invalidateQueries({ queryKey: ["executions", namespace] });
    },
  });

  const retry = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/executions/{id}/retry", { params: { path: { id }, query: { namespace } } })),
    onSuccess: (x) => {
      qc.setQueryData(["execution", namespace, x.id], x);
      void qc.invalidateQueries({ queryKey: ["executions", namespace] });
      navigate(`/executions/${encodeURIComponent(x.id)}?retried=${encodeURIComponent(id)}`);
    },
  });

  const active = isActive(execution.status);
  const failure = cancel.error ?? retry.error;
  return (
    <>
      <div className="actions">
        {active ? (
          <button
            type="button"
            className="button-danger"
            disabled={cancel.isPending}
            onClick={() => {
              retry.reset();
              cancel.mutate();
            }}
          >
            {cancel.isPending ? t("execution.canceling") : t("execution.cancel")}
          </button>
        ) : (
          <button
            type="button"
            disabled={retry.isPending}
            onClick={() => {
              cancel.reset();
              retry.mutate();
            }}
          >
            {retry.isPending ? t("execution.retrying") : t("execution.retry")}
          </button>
        )}
      </div>
      {failure && <ProblemBanner problem={asProblem(failure)} />}
    </>
  );
}
