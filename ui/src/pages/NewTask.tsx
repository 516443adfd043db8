import { canEdit } from "../api/client";
import { TaskForm } from "../components/tasks/TaskForm";
import { useI18n } from "../i18n/i18n";
import { useNamespace } from "../lib/namespace";
import { Link } from "../lib/router";
import { usePrincipal } from "../lib/session";

/**
 * NewTask creates a task (create-task) with the shared form: the cron field
 * with its schedule in words and next fire times, the executor's config as
 * a form from its plugin's schema (or JSON), labels and policies.
 */
export function NewTask() {
  const { t } = useI18n();
  const principal = usePrincipal();
  const { namespace } = useNamespace();

  return (
    <section aria-labelledby="new-task-title" className="tk-task-page">
      <p className="tk-breadcrumb">
        <Link to="/tasks">{t("tasks.title")}</Link>
        <span aria-hidden="true"> / </span>
      </p>
      <h1 id="new-task-title">{t("newTask.title")}</h1>
      {canEdit(principal, namespace) ? (
        <>
          <p className="muted">{t("newTask.lead", { namespace })}</p>
          <TaskForm key={namespace} mode="create" />
        </>
      ) : (
        <p className="notice tk-notice-warn">{t("newTask.forbidden", { namespace })}</p>
      )}
    </section>
  );
}
