// Printing: see PrinterService.swift
