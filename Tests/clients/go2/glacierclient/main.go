// glacierclient (v2) drives a glacier-mock server with the AWS SDK for Go v2
// (github.com/aws/aws-sdk-go-v2/service/glacier) through a realistic workflow and prints what
// it observed as JSON lines, one per step, on stdout. It prints facts, not verdicts: the
// conformance test (Tests/conformance/test_go_sdk_v2.py) decides what they should be.
//
//	glacierclient [-vault NAME] [-debug] [-job-timeout 60s] http://127.0.0.1:PORT
//
// Every line has "step". A step that made requests adds "requests": what went over the wire
// for each HTTP exchange of that step, recorded by a wrapper around the SDK's HTTP client
// after every SDK middleware (the Glacier customizations, the SigV4 signer) ran: method,
// path, the x-amz-glacier-version, x-amz-content-sha256 and x-amz-sha256-tree-hash headers,
// Content-Length, the signed header names, and the response status. A successful call adds
// "http_status" and the fields the SDK parsed. A call expected to fail prints "error" (see
// errFields). An unexpected failure prints {"step", "fatal": {...}} and exits 1.
//
// Built in GOPATH mode against Debian's packaged SDK (golang-github-aws-aws-sdk-go-v2-dev,
// which ships every module of the SDK in one tree, and golang-github-aws-smithy-go-dev):
//
//	cd Tests/clients/go2/glacierclient && GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glacier"
	"github.com/aws/aws-sdk-go-v2/service/glacier/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const mib = 1024 * 1024

// Sizes and seeds of the archives; the test regenerates the same bytes in Python.
const (
	singleSize = 3*mib + 12345 // UploadArchive: four tree-hash leaves, the last one short
	singleSeed = 29
	partSize   = mib
	multiSize  = 2*mib + 300001 // three parts, the last one shorter
	multiSeed  = 113
	badSize    = 4096
	badSeed    = 5
	singleDesc = "go-sdk-v2 single archive"
	multiDesc  = "go-sdk-v2 multipart archive"
	zeroHash   = "0000000000000000000000000000000000000000000000000000000000000000"
)

// content returns deterministic bytes: byte i = (i*7 + i>>20 + seed) mod 256
// (the v1 program's content(); with seed 0 this is helpers.content_bytes of the suite).
func content(size, seed int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i>>20 + seed)
	}
	return b
}

// treeHash is Glacier's SHA-256 tree hash over 1 MiB leaves. The SDK's own (in
// service/glacier/internal/customizations) cannot be imported; CompleteMultipartUpload needs
// the whole archive's tree hash from the caller, so the program computes it.
func treeHash(b []byte) string {
	var level [][]byte
	for off := 0; off < len(b) || off == 0; off += mib {
		end := off + mib
		if end > len(b) {
			end = len(b)
		}
		s := sha256.Sum256(b[off:end])
		level = append(level, s[:])
		if end == len(b) {
			break
		}
	}
	for len(level) > 1 {
		var next [][]byte
		for i := 0; i < len(level); i += 2 {
			if i+1 < len(level) {
				s := sha256.Sum256(append(append([]byte{}, level[i]...), level[i+1]...))
				next = append(next, s[:])
			} else {
				next = append(next, level[i])
			}
		}
		level = next
	}
	return hex.EncodeToString(level[0])
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// --------------------------------------------------------------------------
// what went over the wire
// --------------------------------------------------------------------------

type tagKey struct{}

// tagged is the context of one step: the recorder files its HTTP exchanges under tag.
func tagged(tag string) context.Context {
	return context.WithValue(context.Background(), tagKey{}, tag)
}

// recorder wraps the HTTP client the SDK sends with: it sees each request after every
// middleware ran (the Glacier customizations, the signer), exactly as it goes out.
type recorder struct {
	next  *http.Client
	mu    sync.Mutex
	byTag map[string][]map[string]interface{}
}

func signedHeaders(auth string) interface{} {
	const key = "SignedHeaders="
	i := strings.Index(auth, key)
	if i < 0 {
		return nil
	}
	rest := auth[i+len(key):]
	if j := strings.IndexAny(rest, ", "); j >= 0 {
		rest = rest[:j]
	}
	return strings.Split(rest, ";")
}

func header(h http.Header, name string) interface{} {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
		return v[0]
	}
	return nil
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	tag, _ := req.Context().Value(tagKey{}).(string)
	ex := map[string]interface{}{
		"method": req.Method, "path": req.URL.EscapedPath(), "query": req.URL.RawQuery,
		"content_length":  req.ContentLength,
		"glacier_version": header(req.Header, "X-Amz-Glacier-Version"),
		"content_sha256":  header(req.Header, "X-Amz-Content-Sha256"),
		"tree_hash":       header(req.Header, "X-Amz-Sha256-Tree-Hash"),
		"signed_headers":  signedHeaders(req.Header.Get("Authorization")),
	}
	resp, err := r.next.Do(req)
	if err != nil {
		ex["transport_error"] = err.Error()
	} else {
		ex["status"] = resp.StatusCode
		ex["request_id"] = header(resp.Header, "X-Amzn-RequestId")
	}
	r.mu.Lock()
	r.byTag[tag] = append(r.byTag[tag], ex)
	r.mu.Unlock()
	return resp, err
}

// take returns and forgets the exchanges of one step.
func (r *recorder) take(tag string) []map[string]interface{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	xs := r.byTag[tag]
	delete(r.byTag, tag)
	if xs == nil {
		xs = []map[string]interface{}{}
	}
	return xs
}

// --------------------------------------------------------------------------
// output
// --------------------------------------------------------------------------

func emit(fields map[string]interface{}) {
	line, err := json.Marshal(fields)
	if err != nil {
		fmt.Fprintf(os.Stderr, "glacierclient: cannot encode %v: %v\n", fields, err)
		os.Exit(2)
	}
	os.Stdout.Write(append(line, '\n'))
}

// errFields is what the v2 SDK exposes about a failed call: the operation error, the API
// error it wraps (a modeled *types.X or a *smithy.GenericAPIError) with its code, message
// and fault, the HTTP response error's status and request ID, and for a modeled Glacier
// error the "code" and "type" members of the JSON body.
func errFields(err error) map[string]interface{} {
	f := map[string]interface{}{"go_type": fmt.Sprintf("%T", err), "error": err.Error()}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		f["operation"] = oe.Operation()
		f["service"] = oe.Service()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		f["api_error_type"] = fmt.Sprintf("%T", ae)
		f["code"] = ae.ErrorCode()
		f["message"] = ae.ErrorMessage()
		f["fault"] = ae.ErrorFault().String()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		f["status"] = re.HTTPStatusCode()
		f["request_id"] = re.ServiceRequestID()
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		f["deserialization_error"] = de.Error()
		f["snapshot"] = string(de.Snapshot)
	}
	var bodyCode, bodyType *string
	switch e := ae.(type) {
	case *types.InvalidParameterValueException:
		bodyCode, bodyType = e.Code, e.Type
	case *types.MissingParameterValueException:
		bodyCode, bodyType = e.Code, e.Type
	case *types.ResourceNotFoundException:
		bodyCode, bodyType = e.Code, e.Type
	case *types.RequestTimeoutException:
		bodyCode, bodyType = e.Code, e.Type
	case *types.ServiceUnavailableException:
		bodyCode, bodyType = e.Code, e.Type
	}
	if bodyCode != nil || bodyType != nil {
		f["body_code"], f["body_type"] = str(bodyCode), str(bodyType)
	}
	return f
}

func str(p *string) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

func i64(p *int64) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

// httpStatus is the status code of the response the SDK parsed.
func httpStatus(md middleware.Metadata) interface{} {
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		return resp.StatusCode
	}
	return nil
}

func distinct(xs []string) int {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return len(m)
}

func jobFields(j *glacier.DescribeJobOutput) map[string]interface{} {
	return map[string]interface{}{
		"job_id": str(j.JobId), "action": string(j.Action), "status_code": string(j.StatusCode),
		"completed": j.Completed, "archive_id": str(j.ArchiveId),
		"archive_size": i64(j.ArchiveSizeInBytes), "archive_tree_hash": str(j.ArchiveSHA256TreeHash),
		"sha256_tree_hash": str(j.SHA256TreeHash), "retrieval_byte_range": str(j.RetrievalByteRange),
		"tier": str(j.Tier), "vault_arn": str(j.VaultARN), "creation_date": str(j.CreationDate),
		"completion_date": str(j.CompletionDate), "status_message": str(j.StatusMessage),
	}
}

func main() {
	vault := flag.String("vault", "", "vault to create (default: a unique go-sdk-v2-… name)")
	debug := flag.Bool("debug", false, "log every HTTP request and response (headers) and signing to stderr")
	pollTimeout := flag.Duration("job-timeout", 60*time.Second, "how long to wait for the retrieval job")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: glacierclient [-vault NAME] [-debug] ENDPOINT_URL")
		os.Exit(2)
	}
	endpoint := flag.Arg(0)
	if *vault == "" {
		*vault = fmt.Sprintf("go-sdk-v2-%x", time.Now().UnixNano())
	}

	rec := &recorder{next: &http.Client{Timeout: 60 * time.Second}, byTag: map[string][]map[string]interface{}{}}
	opts := glacier.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		EndpointResolver: glacier.EndpointResolverFromURL(endpoint), // 1.17 has no BaseEndpoint
		HTTPClient:       rec,
		Retryer:          aws.NopRetryer{}, // one attempt: every error surfaces
	}
	if *debug {
		opts.ClientLogMode = aws.LogRequest | aws.LogResponse | aws.LogSigning | aws.LogRetries
		opts.Logger = logging.NewStandardLogger(os.Stderr)
	}
	svc := glacier.New(opts)
	// A per-call option: sign with a wrong secret. It needs a signer of its own: the client's
	// signer caches the derived signing key by region and service and checks only the access
	// key ID and the day, so with the same access key "test" it would go on signing with the
	// key derived from the right secret (a correct signature).
	wrongSecret := func(o *glacier.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("test", "wrong-secret", "")
		o.HTTPSignerV4 = v4.NewSigner()
	}
	emit(map[string]interface{}{"step": "start", "sdk": aws.SDKName, "sdk_version": aws.SDKVersion,
		"endpoint": endpoint, "vault": *vault})

	fatal := func(step string, err error) {
		emit(map[string]interface{}{"step": step, "fatal": errFields(err), "requests": rec.take(step)})
		os.Exit(1)
	}
	// done adds the step's HTTP exchanges and emits the line.
	done := func(step string, f map[string]interface{}) {
		f["step"] = step
		f["requests"] = rec.take(step)
		emit(f)
	}

	// CreateVault; AccountId left out, so the SDK's customization fills in "-".
	var account string
	{
		out, err := svc.CreateVault(tagged("create_vault"), &glacier.CreateVaultInput{VaultName: vault})
		if err != nil {
			fatal("create_vault", err)
		}
		// Location is /ACCOUNT/vaults/NAME: the account "-" stands for.
		if loc := aws.ToString(out.Location); strings.HasPrefix(loc, "/") {
			account = strings.SplitN(loc[1:], "/", 2)[0]
		}
		done("create_vault", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"location": str(out.Location)})
	}
	// The SDK's waiter: DescribeVault until it succeeds (it retries on any error).
	{
		w := glacier.NewVaultExistsWaiter(svc, func(o *glacier.VaultExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
		})
		err := w.Wait(tagged("wait_vault_exists"), &glacier.DescribeVaultInput{VaultName: vault}, 20*time.Second)
		f := map[string]interface{}{"ok": err == nil}
		if err != nil {
			f["error"] = errFields(err)
		}
		done("wait_vault_exists", f)
	}
	// DescribeVault with an explicit AccountId: the customization leaves it alone.
	{
		out, err := svc.DescribeVault(tagged("describe_vault_explicit_account"),
			&glacier.DescribeVaultInput{AccountId: aws.String(account), VaultName: vault})
		f := map[string]interface{}{"account": account}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = httpStatus(out.ResultMetadata)
			f["vault_arn"] = str(out.VaultARN)
		}
		done("describe_vault_explicit_account", f)
	}

	// UploadArchive in one request; the SDK's tree-hash middleware adds both checksum headers.
	single := content(singleSize, singleSeed)
	var singleID string
	{
		out, err := svc.UploadArchive(tagged("upload_archive"), &glacier.UploadArchiveInput{
			VaultName: vault, ArchiveDescription: aws.String(singleDesc), Body: bytes.NewReader(single),
		})
		if err != nil {
			fatal("upload_archive", err)
		}
		singleID = aws.ToString(out.ArchiveId)
		done("upload_archive", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"archive_id": str(out.ArchiveId), "checksum": str(out.Checksum), "location": str(out.Location),
			"size": len(single)})
	}

	// Multipart upload: 1 MiB parts, three of them (the last shorter), sent concurrently.
	multi := content(multiSize, multiSeed)
	var uploadID string
	{
		out, err := svc.InitiateMultipartUpload(tagged("initiate_multipart_upload"), &glacier.InitiateMultipartUploadInput{
			VaultName: vault, PartSize: aws.String(fmt.Sprint(partSize)), ArchiveDescription: aws.String(multiDesc),
		})
		if err != nil {
			fatal("initiate_multipart_upload", err)
		}
		uploadID = aws.ToString(out.UploadId)
		done("initiate_multipart_upload", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"upload_id": str(out.UploadId), "location": str(out.Location)})
	}
	{
		type result struct {
			fields map[string]interface{}
			err    error
		}
		nparts := (multiSize + partSize - 1) / partSize
		results := make([]result, nparts)
		var wg sync.WaitGroup
		for p := 0; p < nparts; p++ {
			first := p * partSize
			last := first + partSize
			if last > multiSize {
				last = multiSize
			}
			wg.Add(1)
			go func(p, first, last int) {
				defer wg.Done()
				rng := fmt.Sprintf("bytes %d-%d/*", first, last-1)
				out, err := svc.UploadMultipartPart(tagged(fmt.Sprintf("upload_part#%d", p)), &glacier.UploadMultipartPartInput{
					VaultName: vault, UploadId: aws.String(uploadID), Range: aws.String(rng),
					Body: bytes.NewReader(multi[first:last]),
				})
				if err != nil {
					results[p].err = err
					return
				}
				results[p].fields = map[string]interface{}{"part": p, "http_status": httpStatus(out.ResultMetadata),
					"range": rng, "size": last - first, "checksum": str(out.Checksum)}
			}(p, first, last)
		}
		wg.Wait()
		for p, r := range results {
			tag := fmt.Sprintf("upload_part#%d", p)
			if r.err != nil {
				emit(map[string]interface{}{"step": "upload_part", "part": p, "fatal": errFields(r.err),
					"requests": rec.take(tag)})
				os.Exit(1)
			}
			r.fields["step"] = "upload_part"
			r.fields["requests"] = rec.take(tag)
			emit(r.fields)
		}
	}
	{
		out, err := svc.ListParts(tagged("list_parts"), &glacier.ListPartsInput{VaultName: vault, UploadId: aws.String(uploadID)})
		if err != nil {
			fatal("list_parts", err)
		}
		parts := []map[string]interface{}{}
		for _, p := range out.Parts {
			parts = append(parts, map[string]interface{}{
				"range": str(p.RangeInBytes), "tree_hash": str(p.SHA256TreeHash)})
		}
		done("list_parts", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"upload_id": str(out.MultipartUploadId), "part_size": out.PartSizeInBytes,
			"archive_description": str(out.ArchiveDescription), "vault_arn": str(out.VaultARN),
			"creation_date": str(out.CreationDate), "marker": str(out.Marker), "parts": parts})
	}
	var multiID string
	{
		sum := treeHash(multi) // the caller supplies it: no SDK customization for this one
		out, err := svc.CompleteMultipartUpload(tagged("complete_multipart_upload"), &glacier.CompleteMultipartUploadInput{
			VaultName: vault, UploadId: aws.String(uploadID),
			ArchiveSize: aws.String(fmt.Sprint(multiSize)), Checksum: aws.String(sum),
		})
		if err != nil {
			fatal("complete_multipart_upload", err)
		}
		multiID = aws.ToString(out.ArchiveId)
		done("complete_multipart_upload", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"archive_id": str(out.ArchiveId), "checksum": str(out.Checksum), "location": str(out.Location),
			"size": multiSize, "sent_checksum": sum})
	}

	// A day passes for the vault's inventory (POST /_mock/inventory takes it now): DescribeVault
	// counts archives as of the vault's last inventory, as Glacier does.
	{
		body := fmt.Sprintf(`{"VaultName":%q}`, *vault)
		resp, err := http.Post(endpoint+"/_mock/inventory", "application/json", strings.NewReader(body))
		if err != nil {
			fatal("inventory", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fatal("inventory", fmt.Errorf("POST /_mock/inventory answered %d", resp.StatusCode))
		}
	}

	// DescribeVault
	{
		out, err := svc.DescribeVault(tagged("describe_vault"), &glacier.DescribeVaultInput{VaultName: vault})
		if err != nil {
			fatal("describe_vault", err)
		}
		done("describe_vault", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"vault_name": str(out.VaultName), "vault_arn": str(out.VaultARN),
			"creation_date": str(out.CreationDate), "last_inventory_date": str(out.LastInventoryDate),
			"number_of_archives": out.NumberOfArchives, "size_in_bytes": out.SizeInBytes})
	}

	// Two ThrottlingExceptions injected for this vault's DescribeVault (POST /_mock/faults):
	// with the SDK's standard retryer (the client's is NopRetryer) the call must ride them out.
	{
		rule := fmt.Sprintf(`{"Operation":"DescribeVault","Code":"ThrottlingException","Count":2,"VaultName":%q}`, *vault)
		resp, err := http.Post(endpoint+"/_mock/faults", "application/json", strings.NewReader(rule))
		if err != nil {
			fatal("describe_vault_throttled", err)
		}
		resp.Body.Close()
		standard := func(o *glacier.Options) { o.Retryer = retry.NewStandard() }
		out, err := svc.DescribeVault(tagged("describe_vault_throttled"), &glacier.DescribeVaultInput{VaultName: vault}, standard)
		if err != nil {
			fatal("describe_vault_throttled", err)
		}
		done("describe_vault_throttled", map[string]interface{}{"fault_status": resp.StatusCode,
			"http_status": httpStatus(out.ResultMetadata), "vault_name": str(out.VaultName)})
	}

	// Retrieval job for the multipart archive, polled with DescribeJob until it completes.
	var jobID string
	{
		out, err := svc.InitiateJob(tagged("initiate_job"), &glacier.InitiateJobInput{VaultName: vault,
			JobParameters: &types.JobParameters{Type: aws.String("archive-retrieval"),
				ArchiveId: aws.String(multiID), Description: aws.String("go-sdk-v2 retrieval")}})
		if err != nil {
			fatal("initiate_job", err)
		}
		jobID = aws.ToString(out.JobId)
		done("initiate_job", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"job_id": str(out.JobId), "location": str(out.Location), "job_output_path": str(out.JobOutputPath)})
	}
	{
		start := time.Now()
		var statuses []string
		var last *glacier.DescribeJobOutput
		for {
			out, err := svc.DescribeJob(tagged("describe_job"), &glacier.DescribeJobInput{VaultName: vault, JobId: aws.String(jobID)})
			if err != nil {
				fatal("describe_job", err)
			}
			last = out
			s := string(out.StatusCode)
			if len(statuses) == 0 || statuses[len(statuses)-1] != s {
				statuses = append(statuses, s)
			}
			if out.Completed || s != "InProgress" || time.Since(start) > *pollTimeout {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		f := jobFields(last)
		f["http_status"] = httpStatus(last.ResultMetadata)
		f["statuses_seen"] = statuses
		f["waited_seconds"] = time.Since(start).Seconds()
		reqs := rec.take("describe_job")
		f["polls"] = len(reqs)
		f["step"] = "describe_job"
		f["requests"] = reqs[len(reqs)-1:] // the last poll; every poll is the same request
		emit(f)
	}

	// GetJobOutput: the whole archive, then its second MiB (a tree-hash-aligned range).
	for _, rng := range []string{"", fmt.Sprintf("bytes=%d-%d", mib, 2*mib-1)} {
		in := &glacier.GetJobOutputInput{VaultName: vault, JobId: aws.String(jobID)}
		if rng != "" {
			in.Range = aws.String(rng)
		}
		out, err := svc.GetJobOutput(tagged("get_job_output"), in)
		if err != nil {
			fatal("get_job_output", err)
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			fatal("get_job_output", err)
		}
		done("get_job_output", map[string]interface{}{"range": rng, "http_status": httpStatus(out.ResultMetadata),
			"status": out.Status, "checksum": str(out.Checksum), "content_range": str(out.ContentRange),
			"content_type": str(out.ContentType), "accept_ranges": str(out.AcceptRanges),
			"archive_description": str(out.ArchiveDescription), "length": len(body), "sha256": sha256hex(body),
			"body_tree_hash": treeHash(body)})
	}

	bad := content(badSize, badSeed)
	// An upload whose tree hash is given (Checksum): the SDK sends it as
	// x-amz-sha256-tree-hash and then its tree-hash middleware computes nothing, so no
	// x-amz-content-sha256 goes out (aws/aws-sdk-go-v2#1212). The requests show what was sent.
	// Twice: signed with the right secret, then with a wrong one.
	for _, step := range []string{"upload_archive_checksum_only", "upload_archive_checksum_only_wrong_secret"} {
		var optFns []func(*glacier.Options)
		if strings.HasSuffix(step, "_wrong_secret") {
			optFns = append(optFns, wrongSecret)
		}
		out, err := svc.UploadArchive(tagged(step), &glacier.UploadArchiveInput{
			VaultName: vault, Body: bytes.NewReader(bad), Checksum: aws.String(treeHash(bad)),
		}, optFns...)
		f := map[string]interface{}{"size": len(bad)}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = httpStatus(out.ResultMetadata)
			f["archive_id"] = str(out.ArchiveId)
		}
		done(step, f)
	}
	// An upload whose tree hash is wrong, with the body's real SHA-256 added as
	// x-amz-content-sha256 by a middleware of the caller's (the workaround for the above).
	{
		addContentSHA256 := func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("AddContentSHA256",
				func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
					middleware.BuildOutput, middleware.Metadata, error) {
					if req, ok := in.Request.(*smithyhttp.Request); ok {
						req.Header.Set("X-Amz-Content-Sha256", sha256hex(bad))
					}
					return next.HandleBuild(ctx, in)
				}), middleware.After)
		}
		out, err := svc.UploadArchive(tagged("upload_archive_wrong_checksum"), &glacier.UploadArchiveInput{
			VaultName: vault, Body: bytes.NewReader(bad), Checksum: aws.String(zeroHash),
		}, glacier.WithAPIOptions(addContentSHA256))
		f := map[string]interface{}{"size": len(bad)}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = httpStatus(out.ResultMetadata)
			f["archive_id"] = str(out.ArchiveId)
		}
		done("upload_archive_wrong_checksum", f)
	}

	// DeleteArchive (the single-request archive)
	{
		out, err := svc.DeleteArchive(tagged("delete_archive"), &glacier.DeleteArchiveInput{
			VaultName: vault, ArchiveId: aws.String(singleID)})
		if err != nil {
			fatal("delete_archive", err)
		}
		done("delete_archive", map[string]interface{}{"http_status": httpStatus(out.ResultMetadata),
			"archive_id": singleID})
	}

	// DescribeVault on a vault that does not exist.
	missing := *vault + "-missing"
	{
		out, err := svc.DescribeVault(tagged("describe_missing_vault"), &glacier.DescribeVaultInput{VaultName: aws.String(missing)})
		f := map[string]interface{}{"vault": missing}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = httpStatus(out.ResultMetadata)
		}
		done("describe_missing_vault", f)
	}
	// The SDK's other waiter: done when DescribeVault fails with *types.ResourceNotFoundException.
	{
		w := glacier.NewVaultNotExistsWaiter(svc, func(o *glacier.VaultNotExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = time.Second, 2*time.Second
		})
		err := w.Wait(tagged("wait_vault_not_exists"), &glacier.DescribeVaultInput{VaultName: aws.String(missing)}, 5*time.Second)
		f := map[string]interface{}{"ok": err == nil}
		if err != nil {
			f["error"] = errFields(err)
		}
		done("wait_vault_not_exists", f)
	}

	// The same DescribeVault signed with a wrong secret: accepted by a server with --auth none,
	// refused by one with --auth sigv4.
	{
		out, err := svc.DescribeVault(tagged("describe_vault_wrong_secret"), &glacier.DescribeVaultInput{VaultName: vault},
			wrongSecret)
		f := map[string]interface{}{}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = httpStatus(out.ResultMetadata)
		}
		done("describe_vault_wrong_secret", f)
	}

	// ListVaults through the SDK's paginator (Glacier pages 10 vaults at a time by default).
	{
		var names []string
		pages := 0
		p := glacier.NewListVaultsPaginator(svc, &glacier.ListVaultsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(tagged("list_vaults"))
			if err != nil {
				fatal("list_vaults", err)
			}
			pages++
			for _, v := range page.VaultList {
				names = append(names, aws.ToString(v.VaultName))
			}
		}
		found := false
		for _, n := range names {
			found = found || n == *vault
		}
		reqs := rec.take("list_vaults")
		emit(map[string]interface{}{"step": "list_vaults", "pages": pages, "count": len(names),
			"distinct": distinct(names), "sorted": sort.StringsAreSorted(names), "contains_vault": found,
			"requests": reqs})
	}
	emit(map[string]interface{}{"step": "done"})
}
