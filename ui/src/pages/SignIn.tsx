import { useEffect, useRef, useState, type FormEvent } from "react";

import { fieldMessages, type Problem } from "../api/client";
import { Field, ProblemBanner } from "../components/Problem";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../lib/session";

/**
 * SignIn asks for an API token and checks it with GET /api/v1/whoami. On a
 * --dev server, where a request without a token acts as the anonymous
 * owner, it also offers to go on without one.
 */
export function SignIn() {
  const { t } = useI18n();
  const { state, signIn, whoami } = useSession();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(state.status === "signedOut" ? (state.problem ?? null) : null);
  const [empty, setEmpty] = useState(false);
  const [anonymousOk, setAnonymousOk] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const reason = state.status === "signedOut" ? state.reason : "start";

  useEffect(() => {
    input.current?.focus();
    let live = true;
    whoami("").then(
      (p) => live && setAnonymousOk(p.kind === "anonymous"),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [whoami]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const v = token.trim();
    setEmpty(v === "");
    setProblem(null);
    if (v === "") {
      input.current?.focus();
      return;
    }
    setBusy(true);
    const p = await signIn(v);
    setBusy(false);
    if (p) {
      setProblem(p);
      input.current?.focus();
    }
  };

  const continueAnonymous = async () => {
    setBusy(true);
    const p = await signIn("");
    setBusy(false);
    if (p) setProblem(p);
  };

  // A refused token is the token field's problem: its message shows there.
  const tokenMessages = empty
    ? [t("signin.empty")]
    : problem && (problem.status === 401 || problem.status === 403)
      ? [problem.message, ...fieldMessages(problem, "token")]
      : fieldMessages(problem, "token");
  const banner = problem && problem.status !== 401 && problem.status !== 403 ? problem : null;

  return (
    <main id="main" className="signin">
      <form className="card signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <h1 id="signin-title">{t("signin.title")}</h1>
        {reason === "expired" && <p className="notice">{t("signin.expired")}</p>}
        {reason === "signedOut" && <p className="notice">{t("signin.signedOut")}</p>}
        <p>{t("signin.lead")}</p>
        <ProblemBanner problem={banner} shown={["token"]} />
        <Field id="token" label={t("signin.token")} hint={t("signin.tokenHint")} messages={tokenMessages}>
          {(props) => (
            <input
              {...props}
              ref={input}
              type="password"
              name="token"
              autoComplete="off"
              spellCheck={false}
              placeholder="kro_…"
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? t("signin.checking") : t("signin.submit")}
          </button>
        </div>
        {anonymousOk && (
          <div className="anonymous">
            <button type="button" className="button-quiet" onClick={continueAnonymous} disabled={busy}>
              {t("signin.anonymous")}
            </button>
            <p className="field-hint">{t("signin.anonymousHint")}</p>
          </div>
        )}
      </form>
    </main>
  );
}
