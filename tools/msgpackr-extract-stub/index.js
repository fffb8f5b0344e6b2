// msgpackr loads its optional native extractor inside a try block and uses
// its pure JavaScript decoder when loading fails: failing here is the point.
throw new Error('msgpackr-extract is stubbed out in this project (see tools/README.md)');
