import { useEffect, useState } from "react";

import { asProblem, canEdit } from "../api/client";
import { ProblemBanner } from "../components/Problem";
import { taskPath, useTask, type TaskRead } from "../components/tasks/api";
import { TaskForm } from "../components/tasks/TaskForm";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { Link } from "../lib/router";
import { usePrincipal } from "../lib/session";

/**
 * TaskEdit edits a task with the shared form. The form keeps the task as
 * first read (and its ETag) until Reload: a refetch in the background never
 * replaces what the user is typing, and the save is checked against the
 * version they opened (If-Match).
 */
export function TaskEdit({ name }: { name: string }) {
  const { t } = useI18n();
  const principal = usePrincipal();
  const { namespace } = useNamespace();
  const task = useTask(name);
  // The task as read for this namespace and name (another namespace starts over).
  const key = `${namespace}\u0000${name}`;
  const [snap, setSnap] = useState<{ key: string; read: TaskRead } | null>(null);
  const snapshot = snap?.key === key ? snap.read : null;

  useEffect(() => {
    if (task.data && !snapshot) setSnap({ key, read: task.data });
  }, [task.data, snapshot, key]);

  const reload = async () => {
    const r = await task.refetch();
    if (r.data) setSnap({ key, read: r.data });
  };

  const head = (
    <>
      <p className="tk-breadcrumb">
        <Link to="/tasks">{t("tasks.title")}</Link>
        <span aria-hidden="true"> / </span>
        <Link to={taskPath(name)}>{name}</Link>
      </p>
      <h1 id="edit-task-title">{t("taskForm.editTitle", { name })}</h1>
    </>
  );

  if (!canEdit(principal, namespace)) {
    return (
      <section aria-labelledby="edit-task-title" className="tk-task-page">
        {head}
        <p className="notice tk-notice-warn">{t("taskForm.forbidden", { namespace })}</p>
      </section>
    );
  }
  if (task.error && !snapshot) {
    const p = asProblem(task.error);
    return (
      <section aria-labelledby="edit-task-title" className="tk-task-page">
        {head}
        {p.status === 404 ? (
          <p className="notice tk-notice-warn">{t("taskDetail.notFound", { name, namespace })}</p>
        ) : (
          <ProblemBanner problem={p} />
        )}
      </section>
    );
  }
  return (
    <section aria-labelledby="edit-task-title" className="tk-task-page">
      {head}
      {snapshot ? (
        <>
          <p className="muted">{t("taskForm.editLead", { namespace, version: snapshot.task.version })}</p>
          <TaskForm key={snapshot.etag} mode="edit" task={snapshot.task} etag={snapshot.etag} onReload={() => void reload()} />
        </>
      ) : (
        <p aria-live="polite">{t("app.loading")}</p>
      )}
    </section>
  );
}
