/* The certified-on-date rule, as the server checks it (API.md "Officers"): a certificate number, status valid,
 * issued_on <= D <= expires_on (a missing bound does not limit). Dates are ISO strings, compared as text. */
export function certifiedOn(officer, day) {
  if (!officer.certificate_no || officer.certificate_status !== "valid") return false;
  if (officer.certificate_issued_on && officer.certificate_issued_on > day) return false;
  if (officer.certificate_expires_on && officer.certificate_expires_on < day) return false;
  return true;
}

export function whyNot(officer, day) {
  if (!officer.certificate_no) return "无执法证";
  if (officer.certificate_status === "suspended") return "证件暂扣";
  if (officer.certificate_status === "revoked") return "证件吊销";
  if (officer.certificate_issued_on && officer.certificate_issued_on > day) return "证件未生效";
  if (officer.certificate_expires_on && officer.certificate_expires_on < day) return "证件已过期";
  return "";
}

/* Today in Asia/Shanghai (the server's calendar), as YYYY-MM-DD. */
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}
