package host

import (
	"errors"
	"fmt"
)

// checkBounds walks a module's sections before wazero decodes it, and
// refuses a module whose length prefixes claim more entries or bytes than
// it holds. wazero's decoder allocates what a prefix claims before reading
// the entries (make([]T, count)), so a 20-byte upload declaring a billion
// types or imports would make the node allocate gigabytes and die of it;
// FuzzValidate found it. Every entry takes at least one byte, so a count
// larger than the bytes left is a lie, whatever the entries are.
//
// It checks each section's size, the entry count of every vector section,
// and, in the sections whose grammar is simple (types, imports, exports,
// elements, code, data), the vectors and names inside each entry. It does not
// validate the module: wazero does that next.
func checkBounds(wasm []byte) error {
	r := &byteReader{b: wasm, pos: 8} // magic and version checked already
	for r.more() {
		id, err := r.byte()
		if err != nil {
			return err
		}
		size, err := r.u32()
		if err != nil {
			return fmt.Errorf("section %d: %w", id, err)
		}
		if int64(size) > int64(r.left()) {
			return fmt.Errorf("section %d claims %d bytes but %d remain", id, size, r.left())
		}
		body := &byteReader{b: r.b[r.pos : r.pos+int(size)]}
		r.pos += int(size)
		if err := checkSection(id, body); err != nil {
			return fmt.Errorf("section %d: %w", id, err)
		}
	}
	return nil
}

// vectorSections are the sections whose payload starts with an entry
// count.
var vectorSections = map[byte]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 9: true, 10: true, 11: true}

func checkSection(id byte, r *byteReader) error {
	if !vectorSections[id] {
		return nil
	}
	n, err := r.count()
	if err != nil {
		return err
	}
	for i := range n {
		var err error
		switch id {
		case 1:
			err = r.funcType()
		case 2:
			err = r.importEntry()
		case 7:
			if err = r.name(); err == nil {
				_, err = r.byte()
				if err == nil {
					_, err = r.u32()
				}
			}
		case 9:
			err = r.elemEntry()
		case 10:
			err = r.codeEntry()
		case 11:
			err = r.dataEntry()
		default:
			return nil // the count is checked; the entries are wazero's
		}
		if errors.Is(err, errStopWalking) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

// errStopWalking ends the walk of a section whose entries use a form
// this checker does not know; wazero judges them.
var errStopWalking = errors.New("stop walking")

// byteReader reads the Wasm binary format.
type byteReader struct {
	b   []byte
	pos int
}

func (r *byteReader) more() bool { return r.pos < len(r.b) }
func (r *byteReader) left() int  { return len(r.b) - r.pos }

func (r *byteReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errors.New("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes.
func (r *byteReader) u32() (uint32, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, errors.New("a u32 out of range")
			}
			return uint32(v), nil
		}
	}
	return 0, errors.New("a u32 longer than 5 bytes")
}

// skipLEB skips a signed or unsigned LEB128 of up to 10 bytes.
func (r *byteReader) skipLEB() error {
	for range 10 {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("a number longer than 10 bytes")
}

// count reads a vector's length and checks that the bytes left could
// hold that many entries.
func (r *byteReader) count() (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(r.left()) {
		return 0, fmt.Errorf("claims %d entries in %d bytes", n, r.left())
	}
	return n, nil
}

// skip skips n bytes, which must be there.
func (r *byteReader) skip(n uint32) error {
	if int64(n) > int64(r.left()) {
		return fmt.Errorf("claims %d bytes but %d remain", n, r.left())
	}
	r.pos += int(n)
	return nil
}

// name reads a length-prefixed name.
func (r *byteReader) name() error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	return r.skip(n)
}

// funcType reads 0x60, then the parameter and result types (one byte each).
func (r *byteReader) funcType() error {
	form, err := r.byte()
	if err != nil {
		return err
	}
	if form != 0x60 {
		return errStopWalking // a GC proposal form: wazero's to judge
	}
	for range 2 {
		n, err := r.count()
		if err != nil {
			return err
		}
		if err := r.skip(n); err != nil {
			return err
		}
	}
	return nil
}

// importEntry reads module and field names and the import's description.
func (r *byteReader) importEntry() error {
	if err := r.name(); err != nil {
		return err
	}
	if err := r.name(); err != nil {
		return err
	}
	kind, err := r.byte()
	if err != nil {
		return err
	}
	switch kind {
	case 0x00: // function: a type index
		_, err = r.u32()
		return err
	case 0x01: // table: a reference type, then limits
		if _, err := r.byte(); err != nil {
			return err
		}
		return r.limits()
	case 0x02: // memory: limits
		return r.limits()
	case 0x03: // global: a value type and mutability
		if _, err := r.byte(); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	}
	return errStopWalking
}

// limits reads a flags byte, a minimum and, if the flags say so, a
// maximum.
func (r *byteReader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if err := r.skipLEB(); err != nil {
		return err
	}
	if flags&1 != 0 {
		return r.skipLEB()
	}
	return nil
}

// codeEntry reads a function body's size and checks its local
// declarations fit in it.
func (r *byteReader) codeEntry() error {
	size, err := r.u32()
	if err != nil {
		return err
	}
	if int64(size) > int64(r.left()) {
		return fmt.Errorf("a function body claims %d bytes but %d remain", size, r.left())
	}
	body := &byteReader{b: r.b[r.pos : r.pos+int(size)]}
	r.pos += int(size)
	// Locals are groups of (count, type); the counts are what wazero sizes
	// the function's locals by. Their sum is bounded by the spec at 2^32;
	// keep it to what a sane function declares.
	groups, err := body.count()
	if err != nil {
		return err
	}
	var total uint64
	for range groups {
		n, err := body.u32()
		if err != nil {
			return err
		}
		if _, err := body.byte(); err != nil {
			return err
		}
		if total += uint64(n); total > maxLocals {
			return fmt.Errorf("a function declares more than %d locals", maxLocals)
		}
	}
	return nil
}

// maxLocals bounds the locals of one function. Real plugins declare a few
// hundred at most; wazero allocates per local.
const maxLocals = 1 << 16

// dataEntry reads a data segment: its mode, an offset expression for an
// active one, and its bytes.
func (r *byteReader) dataEntry() error {
	mode, err := r.u32()
	if err != nil {
		return err
	}
	switch mode {
	case 0: // active, memory 0: offset expression
		if err := r.constExpr(); err != nil {
			return err
		}
	case 1: // passive
	case 2: // active with a memory index
		if _, err := r.u32(); err != nil {
			return err
		}
		if err := r.constExpr(); err != nil {
			return err
		}
	default:
		return errStopWalking
	}
	n, err := r.u32()
	if err != nil {
		return err
	}
	return r.skip(n)
}

// elemEntry reads an element segment: its mode's table index, offset
// expression and element kind, then its vector of function indexes or of
// expressions.
func (r *byteReader) elemEntry() error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return errStopWalking
	}
	if flags&2 != 0 && flags&1 == 0 { // explicit table index
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	if flags&1 == 0 { // active: an offset expression
		if err := r.constExpr(); err != nil {
			return err
		}
	}
	if flags&3 != 0 { // an element kind or reference type
		if _, err := r.byte(); err != nil {
			return err
		}
	}
	n, err := r.count()
	if err != nil {
		return err
	}
	for range n {
		if flags&4 == 0 {
			_, err = r.u32() // a function index
		} else {
			err = r.constExpr()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// constExpr reads a constant expression of the simple forms (i32.const,
// i64.const, global.get, ref.func, ref.null) and its end.
func (r *byteReader) constExpr() error {
	op, err := r.byte()
	if err != nil {
		return err
	}
	switch op {
	case 0x41, 0x42, 0x23, 0xd2: // i32.const, i64.const, global.get, ref.func
		if err := r.skipLEB(); err != nil {
			return err
		}
	case 0xd0: // ref.null t
		if _, err := r.byte(); err != nil {
			return err
		}
	default:
		return errStopWalking
	}
	end, err := r.byte()
	if err != nil {
		return err
	}
	if end != 0x0b {
		return errStopWalking
	}
	return nil
}
