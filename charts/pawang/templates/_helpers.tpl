{{/* Names: the release's prefix, and one per component. */}}
{{- define "pawang.fullname" -}}
{{- if contains "pawang" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-pawang" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pawang.operator" -}}{{ include "pawang.fullname" . }}-operator{{- end -}}
{{- define "pawang.frontDoor" -}}{{ include "pawang.fullname" . }}-front-door{{- end -}}

{{/* Labels every object carries; `component` is added per object. */}}
{{- define "pawang.labels" -}}
app.kubernetes.io/name: pawang
app.kubernetes.io/part-of: pawang
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The labels that select one component's pods; tenants' NetworkPolicies
admit the front door and the operator by these. */}}
{{- define "pawang.selector" -}}
app.kubernetes.io/name: pawang
app.kubernetes.io/component: {{ .component }}
pawang.dev/release: {{ .root.Release.Name }}
{{- end -}}

{{/* A component's pod labels: the selector and the common labels. */}}
{{- define "pawang.podLabels" -}}
{{- $selector := include "pawang.selector" . | fromYaml -}}
{{- merge $selector (include "pawang.labels" .root | fromYaml) | toYaml -}}
{{- end -}}

{{- define "pawang.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Secrets' names. */}}
{{- define "pawang.installKeySecret" -}}
{{- default (printf "%s-install-key" (include "pawang.fullname" .)) .Values.installKey.existingSecret -}}
{{- end -}}
{{- define "pawang.botTokenSecret" -}}
{{- default (printf "%s-bot-token" (include "pawang.fullname" .)) .Values.telegram.existingSecret -}}
{{- end -}}
{{- define "pawang.webhookSecret" -}}
{{- default (printf "%s-webhook" (include "pawang.fullname" .)) .Values.frontDoor.webhook.existingSecret -}}
{{- end -}}

{{/* Whether to render Prometheus Operator objects. */}}
{{- define "pawang.monitoring" -}}
{{- $m := toString .Values.monitoring.enabled -}}
{{- if or (eq $m "true") (and (eq $m "auto") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) -}}
true
{{- end -}}
{{- end -}}

{{/* A Pod Security "restricted" pod: non-root, no privilege escalation,
no capabilities, RuntimeDefault seccomp, read-only root filesystem. */}}
{{- define "pawang.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "pawang.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Egress every Pawang component needs: the API, names, tenants. */}}
{{- define "pawang.apiServerEgress" -}}
# The Kubernetes API.
- ports:
    - {protocol: TCP, port: 443}
    - {protocol: TCP, port: 6443}
  {{- with .Values.networkPolicies.apiServerCidrs }}
  to:
    {{- range . }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  {{- end }}
# Names.
- ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}

{{- /*
Egress to this namespace's tenants on one port: the front door delivers
updates on 8080, the operator makes admin calls on 8082.
*/ -}}
{{- define "pawang.tenantEgress" -}}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: pawang
          app.kubernetes.io/component: tenant
  ports:
    - {protocol: TCP, port: {{ . }}}
{{- end -}}

{{- /*
NetworkPolicy peers: every pod of other namespaces, and this namespace's
pods other than tenants (a tenant talks only to the gateway).
*/ -}}
{{- define "pawang.notTenants" -}}
- namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: NotIn
        values: [{{ .Release.Namespace | quote }}]
- podSelector:
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: NotIn
        values: [tenant]
{{- end -}}
