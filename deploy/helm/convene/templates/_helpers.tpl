{{/* Names and labels. */}}
{{- define "convene.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "convene.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "convene.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "convene.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "convene.selectorLabels" -}}
app.kubernetes.io/name: {{ include "convene.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "convene.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "convene.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "convene.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "convene.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Deployment for the host modes (the pod's address is its node's, from the downward API);
StatefulSet for servicePerPod (stable pod names, selected by its per-pod Services). */}}
{{- define "convene.workloadKind" -}}
{{- if eq .Values.media.mode "servicePerPod" }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{/* Media ports per pod. */}}
{{- define "convene.rtcPorts" -}}
{{- $ports := int .Values.media.ports }}
{{- if eq $ports 0 }}{{ add (int .Values.media.workers) (int .Values.media.pipePorts) }}{{ else }}{{ $ports }}{{ end }}
{{- end }}

{{- define "convene.rtcMaxPort" -}}
{{- add (int .Values.media.rtcMinPort) (int (include "convene.rtcPorts" .)) -1 }}
{{- end }}

{{/* Pods a servicePerPod install renders Services for (autoscaling: its maximum). */}}
{{- define "convene.podSlots" -}}
{{- if .Values.autoscaling.enabled }}{{ int .Values.autoscaling.maxReplicas }}{{ else }}{{ int .Values.replicaCount }}{{ end }}
{{- end }}

{{/* Secret name of one entry of .Values.secrets. */}}
{{- define "convene.secretName" -}}
{{- $ := index . 0 }}{{ $entry := index . 1 }}
{{- $entry.name | default $.Values.secrets.existingSecret | default (include "convene.fullname" $) }}
{{- end }}

{{/* One env entry per wired secret. */}}
{{- define "convene.secretEnv" -}}
{{- $ := . }}
{{- range $var, $field := dict "CONVENE_JWT_SECRET" "jwtSecret" "CONVENE_ADMIN_API_KEY" "adminApiKey" "DATABASE_URL" "databaseUrl" "REDIS_URL" "redisUrl" "CONVENE_AUDIT_SIGNING_KEY" "auditSigningKey" "CONVENE_WEBHOOK_SECRET" "webhookSecret" "CONVENE_TURN_SECRET" "turnSecret" }}
{{- $entry := index $.Values.secrets $field }}
{{- if $entry.key }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ include "convene.secretName" (list $ $entry) }}
      key: {{ $entry.key }}
{{- end }}
{{- end }}
{{- end }}

{{/* Settings the chart derives itself: not to be set through .Values.config. */}}
{{- define "convene.managedConfig" -}}
NODE_ENV PORT HOST CONVENE_METRICS_PORT CONVENE_DATA_DIR CONVENE_DRAIN_SECONDS CONVENE_MEDIA_WORKERS CONVENE_RTC_MIN_PORT CONVENE_RTC_MAX_PORT CONVENE_ANNOUNCED_ADDRESS CONVENE_NODE_ID CONVENE_JWKS_URL CONVENE_JWT_ISSUER CONVENE_JWT_AUDIENCE CONVENE_JWT_SECRET CONVENE_ADMIN_API_KEY DATABASE_URL REDIS_URL CONVENE_AUDIT_SIGNING_KEY CONVENE_WEBHOOK_SECRET CONVENE_TURN_SECRET
{{- end }}

{{/* Fails the render with a message naming the value to fix. */}}
{{- define "convene.validate" -}}
{{- $v := .Values }}
{{- $mode := $v.media.mode }}
{{- if not (has $mode (list "hostPort" "hostNetwork" "servicePerPod")) }}
{{- fail (printf "media.mode must be hostPort, hostNetwork or servicePerPod (got %q)" $mode) }}
{{- end }}
{{- range $field := list "jwtSecret" "adminApiKey" "databaseUrl" }}
{{- if not (index $v.secrets $field).key }}
{{- fail (printf "secrets.%s.key is required: convene runs with NODE_ENV=production in the chart" $field) }}
{{- end }}
{{- end }}
{{- if and (or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled) (not $v.secrets.redisUrl.key) }}
{{- fail "REDIS_URL is required when replicaCount > 1 or autoscaling is enabled: set secrets.redisUrl (a Secret name and key holding redis://...); replicas share presence, fan-out and limits through Redis" }}
{{- end }}
{{- $workers := int $v.media.workers }}
{{- $ports := int (include "convene.rtcPorts" .) }}
{{- if lt $workers 1 }}
{{- fail "media.workers must be at least 1" }}
{{- end }}
{{- if lt $ports $workers }}
{{- fail (printf "media.ports (%d) must be at least media.workers (%d): each worker's WebRtcServer takes one port" $ports $workers) }}
{{- end }}
{{- if or (lt (int $v.media.rtcMinPort) 1024) (gt (int (include "convene.rtcMaxPort" .)) 65535) }}
{{- fail "media.rtcMinPort .. rtcMinPort + ports - 1 must lie within 1024-65535" }}
{{- end }}
{{- if and $v.auth.jwksUrl (or (not $v.auth.jwtIssuer) (not $v.auth.jwtAudience)) }}
{{- fail "auth.jwtIssuer and auth.jwtAudience are required with auth.jwksUrl" }}
{{- end }}
{{- $drain := int $v.drainSeconds }}
{{- if or (lt $drain 0) (gt $drain 3600) }}
{{- fail (printf "drainSeconds must be 0-3600 (got %d)" $drain) }}
{{- end }}
{{- if lt (int $v.terminationGracePeriodSeconds) (add $drain 15) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least drainSeconds + 15 (%d): after draining, convene takes up to 15 s to close, and Kubernetes kills it when the grace period ends" (int $v.terminationGracePeriodSeconds) (add $drain 15)) }}
{{- end }}
{{- $managed := splitList " " (include "convene.managedConfig" .) }}
{{- range $key, $_ := $v.config }}
{{- if has $key $managed }}
{{- fail (printf "config.%s is set by the chart (see the chart README: http, metrics, media, auth, secrets)" $key) }}
{{- end }}
{{- end }}
{{- if eq $mode "servicePerPod" }}
{{- $type := $v.media.servicePerPod.type }}
{{- $slots := int (include "convene.podSlots" .) }}
{{- if eq $type "LoadBalancer" }}
{{- if lt (len $v.media.servicePerPod.addresses) $slots }}
{{- fail (printf "media.servicePerPod.addresses must list one external address per pod (%d: replicaCount, or autoscaling.maxReplicas); pod i announces addresses[i]" $slots) }}
{{- end }}
{{- else if eq $type "NodePort" }}
{{- $last := add (int $v.media.rtcMinPort) (mul $slots $ports) -1 }}
{{- if or (lt (int $v.media.rtcMinPort) 30000) (gt $last 32767) }}
{{- fail (printf "with media.servicePerPod.type NodePort the media ports of all pods (media.rtcMinPort + i * ports, %d..%d) must lie in the NodePort range 30000-32767" (int $v.media.rtcMinPort) $last) }}
{{- end }}
{{- else }}
{{- fail (printf "media.servicePerPod.type must be LoadBalancer or NodePort (got %q)" $type) }}
{{- end }}
{{- end }}
{{- end }}
